"""`python -m suanli_agent`: the same as the `suanli-agent` command."""

from suanli_agent.cli import main

if __name__ == "__main__":
    main()
