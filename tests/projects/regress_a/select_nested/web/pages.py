"""No FF101 trigger here: with `--select FF101` alone this module is not analysed, and its word
`index` once made the factory's nested route `index` look called directly (a wrap instead of
the plain `def`). Only the factory's own module can name a nested function."""


def page_number(index: int) -> str:
    return f"page {index + 1}"
