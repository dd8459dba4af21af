"""`python -m suanli`: the same as the `suanli` command."""

from suanli.cli import main

if __name__ == "__main__":
    main()
