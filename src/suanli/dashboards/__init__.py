"""Role dashboards on the home page: an authority's programs, the market, compliance."""
