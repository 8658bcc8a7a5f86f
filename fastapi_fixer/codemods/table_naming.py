"""## What it does
Checks each `__tablename__ = "..."` string: the name should be `lower_snake_case` and singular
(`user`, `post_like`, `payment_account`).

Plural is judged on the last word only, by a conservative English heuristic: `-ies`, `-ys`,
`-es`, `-os` and plain `-s` endings are plural (`categories`, `journeys`, `addresses`,
`photos`, `users`), and so are irregular plurals (`people`, `children`); words that end in
`-ss`, `-us`, `-sis`/`-xis`, words of three letters or fewer (`sms`, `gps`) and known singular
or mass nouns (`status`, `news`, `series`, `analytics`, `statistics` and its short form `stats`,
`settings`, `alias`, `data`, `media`) are not. The suggested name makes the last word
singular, and every word of a name whose words are all plural (a join table: `groups_blocks`
becomes `group_block`, like the guide's `post_like`).

## Why is this bad?
Mixed conventions (`Users`, `post_likes`, `PaymentBill`) make every query a guess, and names
that need quoting in SQL (`"Users"`) break hand-written queries and tools. A singular name reads
naturally in joins and foreign keys (`user.id`, `post_like.user_id`).

## Example
```python
class PostLike(Base):
    __tablename__ = "PostLikes"
```

## Use instead
```python
class PostLike(Base):
    __tablename__ = "post_like"
```

## Fix safety
No fix: renaming a table needs a migration and touches every raw query.

Alembic migration scripts are not checked: a model declared there (to migrate data) is the
table as it was at that revision, and renaming it there would rename nothing.

## Known problems
The plural heuristic is English-only and misses words it does not know (`criteria` is
reported only as an irregular plural; a singular noun ending in `-s` that is not listed is
reported). Names built at run time (`@declared_attr`) are not checked.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from fastapi_fixer.analysis.alembic import is_migration_script
from fastapi_fixer.models import Diagnostic, Severity
from fastapi_fixer.rule import FileContext, Rule

_LOWER_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
IRREGULAR_PLURALS = frozenset(
    {"people", "children", "men", "women", "mice", "geese", "feet", "teeth", "criteria", "oxen"}
)
# singular or mass nouns that end like plurals
NOT_PLURAL = frozenset(
    {
        # -s as the end of a singular word
        "news", "series", "species", "diabetes", "rabies", "herpes", "kubernetes", "yes",
        "alias", "atlas", "canvas", "bias", "gas", "christmas", "pancreas", "saas", "paas",
        "chaos", "kudos", "ethos", "pathos", "cosmos", "macos", "ios", "thermos", "asbestos",
        "iris", "tennis", "redis", "chassis", "pelvis", "trellis", "lens", "always", "perhaps",
        "plus", "minus", "bonus", "its", "this", "was", "has", "does", "whereas", "hers",
        "jenkins", "cors", "https", "aws", "dns", "sms", "gps", "cms", "vps", "rss", "css",
        "ops", "devops", "mlops", "kms", "sns", "sqs", "nfs", "qps", "fps", "tps", "ids", "ses",
        # mass nouns and pluralia tantum used as one thing
        "analytics", "physics", "mathematics", "economics", "politics", "ethics", "logistics",
        "mechanics", "electronics", "genetics", "linguistics", "statistics", "diagnostics",
        "stats", "semantics", "athletics", "gymnastics", "robotics", "informatics", "dynamics",
        "acoustics", "optics", "aerobics", "bioinformatics", "settings", "earnings", "savings",
        "means", "odds", "thanks", "goods", "premises", "headquarters", "whereabouts",
        "surroundings", "belongings", "outskirts", "remains", "clothes", "scissors",
        "pants", "jeans", "glasses", "metadata", "status", "campus",
    }
)  # fmt: skip


def is_plural(word: str) -> bool:
    """A conservative English guess: True only for words that clearly look plural."""
    word = word.lower()
    if word in IRREGULAR_PLURALS:
        return True
    if len(word) <= 3 or word in NOT_PLURAL or not word.endswith("s"):
        return False
    if word.endswith(("ss", "us", "sis", "xis")):
        return word in {"menus", "gurus", "emus", "haikus"}
    return True


class TableNaming(Rule):
    CODE = "FF702"
    NAME = "table-naming"
    SEVERITY = Severity.WARNING
    MESSAGE = "Table name `{name}` is not lower_snake singular"
    TRIGGERS = ("__tablename__",)

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_migration_script(ctx.tree):
            return  # history: a table declared there is the table as it was
        for node in ast.walk(ctx.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                value = _tablename(statement)
                if value is None:
                    continue
                message = _problem(value.value)
                if message is not None:
                    yield self.diagnostic(ctx, value, message)


def _tablename(statement: ast.stmt) -> ast.Constant | None:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target, value = statement.targets[0], statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        target, value = statement.target, statement.value
    else:
        return None
    if not (isinstance(target, ast.Name) and target.id == "__tablename__"):
        return None
    if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
        return value
    return None


def _snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")) or word[:-2] in NOT_PLURAL:
        return word[:-2]  # `addresses`, `boxes`, `statuses`
    return word[:-1] if word.endswith("s") else word


def _problem(name: str) -> str | None:
    snake = name if _LOWER_SNAKE.match(name) else _snake(name)
    words = snake.split("_")
    plural = bool(words) and words[-1] != "" and is_plural(words[-1])
    if plural:
        # a join of collections named in the plural (`groups_blocks`): each word becomes
        # singular (`group_block`, like the guide's `post_like`), not only the last one
        joined = len(words) > 1 and all(is_plural(word) for word in words)
        first = 0 if joined else len(words) - 1
        words[first:] = [w if w in IRREGULAR_PLURALS else singular(w) for w in words[first:]]
    suggestion = "_".join(words)
    if snake == name and not plural:
        return None
    problems = []
    if snake != name:
        problems.append("not lower_snake_case")
    if plural:
        problems.append("plural")
    hint = f" (`{suggestion}`)" if suggestion and suggestion != name else ""
    return f"Table name `{name}` is {' and '.join(problems)}; use a lower_snake singular name{hint}"
