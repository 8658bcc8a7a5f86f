"""Module that no FF303 trigger names: with `--select FF303` alone it is not analysed, and its
words (`token`) once made the route `token` look called directly."""


def describe(token: str) -> str:
    return f"token of {len(token)} characters"
