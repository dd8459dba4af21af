"""Server-rendered pages, the HTTP plumbing they share, English and Simplified Chinese."""
