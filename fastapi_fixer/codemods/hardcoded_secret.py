"""## What it does
Finds string literals assigned, at module level or in a class body, to a name that holds a
secret: a name with the word `secret`, `password`/`passwd`/`passphrase`, `token` or
`credentials`, or `key` after a word that makes it a secret key (`SECRET_KEY`, `API_KEY`,
`apiKey`, `PRIVATE_KEY`, `STRIPE_KEY`). Settings fields with a literal default
(`JWT_SECRET: str = "dev"`) are secrets too. A usable placeholder is reported as well:
`"changeme"` or `"secret"` is what production ends up running with when nobody sets the real
value. An empty string is not: it holds nothing, and the app runs without the secret.

Not secrets, and not reported:
- names that describe a secret rather than hold one, by their last word: `TOKEN_URL`,
  `SECRET_KEY_FILE`, `API_KEY_HEADER`, `API_KEY_NAME`, `PASSWORD_MIN_LENGTH`, `TOKEN_TYPE`,
  `JWT_ALGORITHM`, `ACCESS_TOKEN_EXPIRE_MINUTES`, `AWS_ACCESS_KEY_ID`, `PASSWORD_HASH`,
  `SECRET_NAME_SEPARATOR`,
  `token_endpoint_auth_method`, `APP_TOKEN_SCOPE`, `_CLIENT_SECRET_CHECK`, `TOKEN_USAGE`...;
- keys that are not secret keys: `PRIMARY_KEY`, `CACHE_KEY`, `SORT_KEY`, `PUBLIC_KEY`...;
- values that are a path (`"/token"`, `"./key.pem"`), a URL, an environment variable's name
  (`"JWT_SECRET"`), an HTTP header's name (`"X-API-Key"`, `"Authorization"`), or the name itself
  spelled as a value (`ACCESS_TOKEN = "access_token"`: a dictionary or cookie key);
- values that stand for a secret without being one: `""`, `"<token>"`, `"${API_KEY}"`,
  `"{{ key }}"`, a mask (`"****"`), punctuation alone (`"-"`), words that say "no key"
  (`"EMPTY"`, `"none"`, `"dummy"`, `"not-needed"`, `"unknown"`, `"anonymous"`,
  `"unattributed"`, `"unassigned"`: the label of usage without a key), keys public by design
  (PostHog `phc_…`, Stripe `pk_live_…`, the project key or token of a product-analytics service:
  `AMPLITUDE_API_KEY`, `MIXPANEL_TOKEN`, `POSTHOG_API_KEY`, but not a name with `secret`,
  `private`, `personal` or `admin`);
- a value that is the name's last word when that word is not the secret
  (`SECRET_VALUES = "values"`: the key under which secret values are stored);
- identifiers that are one value of an enumeration, by a word of the name (`AUTH_METHOD_API_KEY
  = "api_key"`, `RESOURCE_TYPE_GATEWAY_SECRET = "gateway_secret"`, `REASON_MISSING_SECRET`,
  also `method`, `type`, `kind`, `scope`, `event`, `action`, `grant`, `usage`...), or whose words
  are all words of the name (`AUDIT_ACTOR_API_KEY = "api_key"`); labels of such a value, made
  of the name's words (`RESOURCE_MY_PASSWORD = "My Password"`, `RESOURCE_PASSWORD =
  "Passwords"`);
- names of where a secret goes, by a word before the last (`COOKIE_NAME_JWT_TOKEN = "_token"`,
  `HEADER_NAME_API_KEY = "X-Key"`: `name`, `cookie`, `header`, `param`, `field`), given a short
  identifier;
- names of values the code recognises rather than uses: a known-bad credential kept to refuse
  it (`_LEGACY_DEFAULT_ADMIN_PASSWORD`, a default of an earlier release; `WEAK_`, `BANNED_`,
  `COMPROMISED_`, `LEAKED_`...), a placeholder or sentinel named so (`PLACEHOLDER_SECRET_KEY
  = "fillmein"`, `PTU_SENTINEL_API_KEY`). `OLD_SECRET_KEY` alone (a key kept for rotation) is
  reported;
- parts of regular expressions: a module-level name read in the pattern of an `re` call, also
  through another name (`_TOKEN_LEFT` in `re.compile(rf"{_TOKEN_LEFT}x")`), or a value with a
  `(?:`, `(?=`, `(?<` group;
- values that name rather than hold: a URN (`"urn:ietf:params:oauth:token-type:access_token"`),
  a dotted key of three parts or more (`"gen_ai.usage.cost"`, a metric name), a bracketed marker
  (`"[REDACTED]"`), a JSON object or array of plain words (`'{"fields_changed":
  ["password"]}'`, an audit record); names ending in `_FILTER`, `_PROFILE` or `_ACTION`; an
  identifier under a name with an outcome word (`_CREDENTIALS_REJECTED = "invalid_api_key"`:
  `accepted`, `rejected`, `denied`, `failed`...) or `use` (`REQUESTED_TOKEN_USE = "on_behalf_of"`);
- secrets of a stand-in backend, by a word of the name or of the owning class (`fake`,
  `dummy`, `mock`, `stub`: `fake_wallet_secret = "ToTheMoon1"`, `class MockPaymentProvider:
  api_key = "..."`): a value the stand-in accepts, guarding nothing real;
- a value that repeats the owning class's or module's name (`class OllamaConfig: api_key =
  "ollama"`: a stand-in for a server that needs no key);
- members of `Enum` classes; values read from the environment (`os.environ["SECRET"]`) or
  built at run time (f-strings, calls);
- test modules (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`): fixtures need fake secrets.

## Why is this bad?
A secret in the source is in every clone, fork, backup and CI log of the repository, and
rotating it means a commit and a deploy. Read it from the environment through `BaseSettings`.

## Example
```python
SECRET_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
```

## Use instead
```python
# config.py
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    SECRET_KEY: str


settings = Settings()

# auth.py
from app.config import settings

SECRET_KEY = settings.SECRET_KEY
```

## Fix safety
Unsafe: the app then needs the environment variable to start. For a module-level name the fix
adds a field without a default (never the old value) to the project's `BaseSettings` class — the
one with a module-level instance, found in any module — or creates `config.py` next to the
module that builds the app with a `Settings(BaseSettings)` class and `settings = Settings()`;
the literal becomes `settings.<FIELD>`, so every use of the name, in this module or imported
elsewhere, reads the setting. A settings field loses its literal default. The field takes the
settings class's spelling (upper or lower case); pydantic-settings reads the environment
variable of the same name, case-insensitively (after any `env_prefix`), and the fix's title
names it (`set the environment variable SHOP_SECRET_KEY before starting the app`): the one
configuration the app needs that it did not need before. An existing settings class is used
only when the fixed module can import it as its project does: under the same import root, in
its own top package or one its package already imports from (never a sibling tutorial's
settings); a new `config.py` is created only when the project depends on `pydantic-settings`.

Reported without a fix: secrets in other classes' bodies, literal defaults inside `Field(...)`,
a settings class without a module-level instance or in a package the module does not import
from, a name defined above the settings instance
of its own module, and a settings module that imports the fixed one (the import would be
circular).

## Known problems
Only assignments are checked: a literal passed directly (`jwt.encode(payload, "secret")`) or
as an `os.getenv("SECRET", "dev")` fallback is not reported. `PASSWORD = "password"` looks like
a key name and is not reported, and neither is a weak secret spelled as an enumeration value
under a name with a category word (`AUTH_MODE_SECRET = "dev_secret"`). A settings class whose
module has no `BaseSettings` in its text (it inherits from a project base class) is found only
when another rule needs that module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fastapi_fixer.fixing.settings_fix import (
    apply_settings_edits,
    class_env_variable,
    env_variable,
    find_settings,
    is_test_path,
    reference,
    replace_expressions,
    settings_edit,
)
from fastapi_fixer.models import Diagnostic, Edit, Fix, FixSafety, Severity
from fastapi_fixer.rule import FileContext, FixContext, Rule

if TYPE_CHECKING:
    import libcst as cst

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
SECRET_WORDS = frozenset(
    {"secret", "secrets", "password", "passwd", "passphrase", "token", "credentials", "apikey"}
)
# a last word that says the name describes a secret (where, how long, what type) or is public
DESCRIBING = frozenset(
    {
        *("url", "urls", "uri", "path", "paths", "file", "filename", "dir", "directory"),
        *("header", "headers", "name", "names", "field", "fields", "prefix", "suffix"),
        *("env", "var", "variable", "type", "types", "kind", "length", "len", "size", "chars"),
        *("alg", "algorithm", "algorithms", "expire", "expires", "expiry", "exp", "expiration"),
        *("minutes", "seconds", "hours", "days", "ttl", "lifetime", "timeout", "age"),
        *("param", "parameter", "query", "location", "endpoint", "scheme", "schemes", "format"),
        *("pattern", "regex", "label", "description", "help", "hint", "message", "msg"),
        *("error", "text", "title", "example", "placeholder", "id", "ids", "cookie", "mode"),
        *("hash", "hashed", "hasher", "context", "rounds", "policy", "version", "count"),
        *("min", "max", "limit", "enabled", "required", "source", "schema", "key_id"),
        *("audience", "issuer", "column", "table", "attr", "attribute", "tag", "tags", "route"),
        *("in", "location", "style", "encoding", "charset", "set", "list", "index", "class"),
        *("missing", "invalid", "expired", "revoked", "not_found", "mismatch", "reset"),
        *("method", "methods", "scope", "scopes", "usage", "check", "constraint", "username"),
        *("user", "threshold", "cap", "budget", "kind", "reason", "status", "state", "event"),
        *("separator", "separators", "sep", "delimiter", "delimiters", "joiner"),
        *("filter", "filters", "profile", "profiles", "action", "actions"),
    }
)
# a word anywhere in the name that makes it one constant of an enumeration (`AUTH_METHOD_API_KEY
# = "api_key"`, `RESOURCE_TYPE_GATEWAY_SECRET`, `REASON_MISSING_SECRET`): given a value that is
# an identifier, it names a kind of secret, it does not hold one
CATEGORY_WORDS = frozenset(
    {
        *("method", "methods", "type", "types", "kind", "reason", "actor", "scope", "event"),
        *("action", "resource", "permission", "grant", "category", "usage", "audit", "mode"),
        # an outcome the value is the code of (`_CREDENTIALS_REJECTED = "invalid_api_key"`)
        *("accepted", "rejected", "denied", "refused", "failed", "use"),
    }
)
# a word anywhere in the name that says the value is one the code recognises, not one it uses:
# a known-bad credential kept to refuse it (`WEAK_PASSWORDS`, `LEAKED_TOKEN`)
RECOGNISED_WORDS = frozenset(
    {"known", "weak", "banned", "forbidden", "blocked", "blacklisted", "compromised", "leaked"}
    # a value that stands in for a secret, by the name's own word (`PLACEHOLDER_SECRET_KEY =
    # "fillmein"`, compared against to refuse it; `PTU_SENTINEL_API_KEY = "__ptu_flat_cost__"`)
    | {"placeholder", "sentinel"}
)
# a stand-in backend's secret (`fake_wallet_secret`, `class FakeWalletFundingSource`,
# `class MockPaymentProvider`): a value its stand-in accepts, guarding nothing real
STAND_IN_WORDS = frozenset({"fake", "dummy", "mock", "mocked", "stub"})
# with `default`, a default of an earlier release, public since it shipped
# (`_LEGACY_DEFAULT_ADMIN_PASSWORD`); alone they may name a live key kept for rotation
# (`OLD_SECRET_KEY` still verifies old sessions), which is reported
FORMER_WORDS = frozenset({"legacy", "old", "previous", "deprecated", "former"})
# prefixes of keys that are public by design (PostHog project keys, Stripe publishable keys):
# they are meant to be embedded in clients
PUBLIC_KEY_PREFIXES = ("phc_", "pk_live_", "pk_test_")
# product-analytics services whose project key or token is public by design: write-only
# ingestion, embedded in every client that sends events (`AMPLITUDE_API_KEY`, `MIXPANEL_TOKEN`);
# their secret keys carry a word of PRIVATE_KEY_WORDS (`AMPLITUDE_SECRET_KEY`,
# `POSTHOG_PERSONAL_API_KEY`) and are reported. Not `segment`: a common word, and Segment's
# public API token is a secret
ANALYTICS_VENDORS = frozenset({"amplitude", "mixpanel", "posthog"})
PRIVATE_KEY_WORDS = frozenset({"secret", "secrets", "password", "private", "personal", "admin"})
# values that say "no key" (OpenAI-compatible local servers take `"EMPTY"`); a usable default
# such as `"changeme"` or `"secret"` is not among them: an app would run with it
PLACEHOLDER_WORDS = frozenset(
    {
        *("empty", "none", "null", "nil", "dummy", "placeholder", "unused", "unset"),
        *("undefined", "not-needed", "not_needed", "n/a", "na", "tbd", "todo"),
        *("sk-no-key-required", "no-key", "nokey"),
        # nobody's key (`UNATTRIBUTED_API_KEY = "unattributed"`: the bucket of usage without one)
        *("unknown", "anonymous", "unattributed", "unassigned", "unspecified", "unconfigured"),
        "unauthenticated",
    }
)
# a word before the last one that makes the constant the name of where a secret goes
# (`COOKIE_NAME_JWT_TOKEN`, `HEADER_NAME_API_KEY`), given a value that is a short identifier
_NAMING_WORDS = frozenset({"name", "names", "cookie", "header", "headers", "param", "field"})
_NAME_VALUE = re.compile(r"^[A-Za-z_][\w.-]{0,39}$")
# a human-readable label: words of letters separated by single spaces (`"My Password"`)
_LABEL = re.compile(r"^[A-Za-z]+( [A-Za-z]+)*$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:[_.:][a-z0-9]+)+$")
# a value that stands for a secret rather than being one: `<token>`, `${API_KEY}`, `{{ key }}`,
# `%(password)s`, a mask (`***`, `xxxx`, `...`)
_PLACEHOLDER = re.compile(
    r"^(<[^<>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)s|(.)\2{2,}|\[[A-Z][A-Z0-9_ -]*\])$"
)
# words before a last `key` that make it a secret key (other keys are mostly names of keys:
# `CACHE_KEY`, `CSRF_TOKEN_KEY`, `_SCOPE_KEY`)
SECRET_KEY_WORDS = frozenset(
    {
        *("secret", "api", "apikey", "private", "signing", "sign", "signature", "encryption"),
        *("encrypt", "crypt", "crypto", "cipher", "aes", "rsa", "ssh", "jwt", "jws", "jwe"),
        *("auth", "hmac", "client", "master", "access", "fernet", "license", "licence", "app"),
        *("application", "service", "webhook", "shared", "server", "root", "admin", "deploy"),
        *("stripe", "openai", "anthropic", "sendgrid", "mailgun", "twilio", "google", "gcp"),
        *("aws", "azure", "github", "gitlab", "slack", "recaptcha", "captcha", "subscription"),
        *("account", "django", "flask", "minio"),
    }
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
_HEADER = re.compile(r"^(x-[a-z0-9-]+|authorization|proxy-authorization|cookie)$", re.I)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
# a URN names a thing (`urn:ietf:params:oauth:token-type:access_token`), as a URL locates one
_URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]*:", re.I)
# a namespaced key (`gen_ai.usage.cost`, an OpenTelemetry attribute or metric name)
_DOTTED_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+){2,}$")
# what only a regular expression holds: a group with `(?`, a lookaround
_REGEX_SYNTAX = re.compile(r"\(\?(:|=|!|<[=!]|P<)")
# the `re` functions whose first argument is a pattern
_REGEX_CALLS = frozenset(
    f"{module}.{name}"
    for module in ("re", "regex")
    for name in (
        *("compile", "search", "match", "fullmatch", "sub", "subn", "findall", "finditer"),
        "split",
    )
)
_WORD = re.compile(r"^[A-Za-z_][A-Za-z_.-]{0,39}$")  # no digits: not a random string
_FIELD_CALLS = frozenset({"pydantic.Field", "pydantic.fields.Field", "pydantic.v1.Field"})
_ENUM_BASES = ("enum.",)
# the prefilter: a secret-looking name given a string literal, or a settings class to fix into
_WANTED_WORDS = ("secret", "passw", "token", "key", "credential")
# a string literal assigned to a name holding one of the words: tried where a word starts
# (`HardcodedSecret.wants`), or searched for with the settings class (`_WANTS`)
_ASSIGNED = rf"(?:{'|'.join(_WANTED_WORDS)})\w*\s*(?::[^=\n]*)?=\s*[rbuf]{{0,2}}['\"]"
_WANTS_AT = re.compile(f"(?i){_ASSIGNED}")
_WANTS = re.compile(f"(?i){_ASSIGNED}|BaseSettings")


def words_of(name: str) -> list[str]:
    return [w.lower() for part in name.split("_") for w in _WORDS.findall(part)]


def is_secret_name(name: str) -> bool:
    words = words_of(name)
    if not words or words[-1] in DESCRIBING:
        return False
    if "_".join(words[-2:]) in DESCRIBING:
        return False
    if words[-1] == "key":
        return len(words) > 1 and words[-2] in SECRET_KEY_WORDS
    return any(word in SECRET_WORDS for word in words)


def is_secret_value(name: str, value: str, context: tuple[str, ...] = ()) -> bool:
    """Whether `value`, assigned to the secret-looking `name`, looks like a secret. `context`:
    names around the assignment (the owning class, the module) whose words a label would
    repeat (`class OllamaConfig: api_key = "ollama"`: a dummy for a server that needs none)."""
    stripped = value.strip()
    if not stripped or _PLACEHOLDER.match(stripped) or stripped.lower() in PLACEHOLDER_WORDS:
        return False  # unset (`""`), or a placeholder: nothing to leak
    if stripped.startswith(PUBLIC_KEY_PREFIXES):
        return False
    if not re.search(r"[A-Za-z0-9]", stripped):
        return False  # punctuation only (`"-"`, `":"`): a separator, nothing to guess
    words = words_of(name)
    if ANALYTICS_VENDORS.intersection(words) and not PRIVATE_KEY_WORDS.intersection(words):
        return False  # a product-analytics project key, shipped in clients on purpose
    if stripped == words[-1] and words[-1] not in SECRET_WORDS and words[-1] != "key":
        return False  # `SECRET_VALUES = "values"`: the name of a key, spelled as the value
    if RECOGNISED_WORDS.intersection(words) or STAND_IN_WORDS.intersection(words):
        return False
    if "default" in words and FORMER_WORDS.intersection(words):
        return False
    if _IDENTIFIER.match(stripped):
        value_words = re.split(r"[_.:]", stripped)
        if CATEGORY_WORDS.intersection(words) or set(value_words) <= set(words):
            return False  # an enumeration's value, or a key's name spelled as a value
    if _NAMING_WORDS.intersection(words[:-1]) and _NAME_VALUE.match(stripped):
        return False  # `COOKIE_NAME_JWT_TOKEN = "_token"`: the name of a cookie, not its value
    if CATEGORY_WORDS.intersection(words) and _LABEL.match(stripped):
        label = {w.lower().removesuffix("s") for w in stripped.split()}
        if label <= {w.removesuffix("s") for w in words}:
            return False  # `RESOURCE_MY_PASSWORD = "My Password"`: a label of a resource type
    if stripped.lower() in {w for c in context for w in words_of(c)}:
        return False
    if stripped.startswith(("/", "./", "../", "~/")) or _URL.match(stripped):
        return False
    if _URN.match(stripped) or _DOTTED_NAME.match(stripped) or _REGEX_SYNTAX.search(stripped):
        return False
    if stripped[0] in "{[" and _json_of_words(stripped):
        return False  # `'{"fields_changed": ["password"]}'`: data naming a secret, not one
    if _ENV_NAME.match(stripped) or _HEADER.match(stripped):
        return False
    if stripped.count(" ") >= 2:
        return False  # prose: a message about the secret
    normal = re.sub(r"[^a-z0-9]", "", stripped.lower())
    return not (normal and normal == re.sub(r"[^a-z0-9]", "", name.lower()))


def _json_of_words(text: str) -> bool:
    """``text`` is a JSON object or array whose every key and string is a short word."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return False
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if not all(_WORD.match(key) for key in item):
                return False
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and not _WORD.match(item):
            return False
    return isinstance(data, (dict, list))


def regex_names(ctx: FileContext) -> set[str]:
    """Module-level names whose value goes into a regular expression: named in the pattern of
    an `re` call (`re.compile(rf"{_TOKEN_LEFT}x")`, `re.compile(_WORDS + "$")`), or in the value
    of a module-level name that does."""
    if "re" not in ctx.text:
        return set()
    found: set[str] = set()
    for node in ast.walk(ctx.tree):
        if (
            isinstance(node, ast.Call)
            and node.args
            and ctx.resolver.qualify(node.func) in _REGEX_CALLS
        ):
            found.update(n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name))
    values = {
        target.id: statement.value
        for statement in ctx.tree.body
        if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name)
    }
    pending = [name for name in found if name in values]
    while pending:
        value = values[pending.pop()]
        for node in ast.walk(value):
            if isinstance(node, ast.Name) and node.id not in found:
                found.add(node.id)
                if node.id in values:
                    pending.append(node.id)
    return found


class HardcodedSecret(Rule):
    CODE = "FF601"
    NAME = "hardcoded-secret"
    SEVERITY = Severity.ERROR
    MESSAGE = "Hardcoded secret in `{name}`"
    FIX_TITLE = "Read the secret from the environment through settings"
    FIX_SAFETY = FixSafety.UNSAFE
    TRIGGERS = ("secret", "SECRET", "Secret", "passw", "PASSW", "Passw", "token", "TOKEN")
    TRIGGERS += ("Token", "key", "KEY", "Key", "credential", "CREDENTIAL", "BaseSettings")

    @classmethod
    def wants(cls, text: str) -> bool:
        """Narrower than TRIGGERS (which document it): an assignment of a string literal to a
        secret-looking name, or a settings class."""
        if not text.isascii():
            return _WANTS.search(text) is not None
        # `(?i)` matches ASCII letters only here: `_WANTS` is tried just where the lower-cased
        # text holds one of its words (the regex alone tries its alternation at every position)
        lower = text.lower()
        if "basesettings" in lower:
            return True
        for word in _WANTED_WORDS:
            at = lower.find(word)
            while at >= 0:
                if _WANTS_AT.match(text, at):
                    return True
                at = lower.find(word, at + 1)
        return False

    def check(self, ctx: FileContext) -> Iterator[Diagnostic]:
        if is_test_path(ctx.path):
            return
        yield from self._body(ctx, ctx.tree.body, None, regex_names(ctx))

    def _body(
        self,
        ctx: FileContext,
        body: list[ast.stmt],
        owner: ast.ClassDef | None,
        patterns: set[str],
    ) -> Iterator[Diagnostic]:
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                if owner is None and not self._is_enum(ctx, statement):
                    yield from self._body(ctx, statement.body, statement, patterns)
            elif (
                isinstance(statement, (ast.If, ast.Try, ast.With))
                or type(statement).__name__ == "TryStar"
            ):
                for inner in ("body", "orelse", "finalbody"):
                    yield from self._body(ctx, getattr(statement, inner, []) or [], owner, patterns)
                for handler in getattr(statement, "handlers", []):
                    yield from self._body(ctx, handler.body, owner, patterns)
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                found = self._secret(ctx, statement, owner, patterns)
                if found is not None:
                    yield self._report(ctx, statement, owner, *found)

    @staticmethod
    def _is_enum(ctx: FileContext, node: ast.ClassDef) -> bool:
        for base in node.bases:
            qualified = ctx.resolver.qualify(base) or ""
            if qualified.startswith(_ENUM_BASES) or qualified.endswith("Enum"):
                return True
        return False

    def _secret(
        self,
        ctx: FileContext,
        statement: ast.Assign | ast.AnnAssign,
        owner: ast.ClassDef | None,
        patterns: set[str],
    ) -> tuple[ast.Name, ast.expr, bool] | None:
        """(target, the literal, whether it sits in a `Field(...)` call)."""
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return None
        target = targets[0]
        value = statement.value
        in_field = False
        if isinstance(value, ast.Call) and ctx.resolver.qualify(value.func) in _FIELD_CALLS:
            default = value.args[0] if value.args else None
            for keyword in value.keywords:
                if keyword.arg == "default":
                    default = keyword.value
            value, in_field = default, True
        if not (isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes))):
            return None
        text = value.value if isinstance(value.value, str) else value.value.decode("latin-1")
        context = (ctx.module.rsplit(".", 1)[-1], *((owner.name,) if owner else ()))
        if owner is not None and STAND_IN_WORDS.intersection(words_of(owner.name)):
            return None  # a stand-in backend's settings (`class FakeWalletFundingSource`)
        if not is_secret_name(target.id) or not is_secret_value(target.id, text, context):
            return None
        if owner is None and target.id in patterns:
            return None  # a part of a regular expression (`_TOKEN_LEFT = r"(?<![\w])"`)
        return target, value, in_field

    def _report(
        self,
        ctx: FileContext,
        statement: ast.Assign | ast.AnnAssign,
        owner: ast.ClassDef | None,
        target: ast.Name,
        value: ast.expr,
        in_field: bool,
    ) -> Diagnostic:
        name = target.id
        message = f"Hardcoded secret in `{name}`; read it from the environment through settings"
        fix = self._fix(ctx, statement, owner, target, value, in_field)
        if isinstance(fix, str):
            return self.diagnostic(ctx, target, f"{message} (not fixed: {fix})")
        return self.diagnostic(ctx, target, message, fix)

    def _fix(
        self,
        ctx: FileContext,
        statement: ast.Assign | ast.AnnAssign,
        owner: ast.ClassDef | None,
        target: ast.Name,
        value: ast.expr,
        in_field: bool,
    ) -> Fix | str:
        from fastapi_fixer.analysis.pydantic_index import is_settings

        kind = (
            "bytes" if isinstance(value, ast.Constant) and isinstance(value.value, bytes) else "str"
        )
        if owner is not None:
            if not is_settings(ctx.index, f"{ctx.module}.{owner.name}"):
                return "a class attribute outside a settings class"
            if in_field:
                return "the default is inside `Field(...)`"
            annotation = (
                ctx.segment(statement.annotation) if isinstance(statement, ast.AnnAssign) else None
            ) or kind
            edit = Edit(ctx.path, "drop-default", ctx.span(statement), (target.id, annotation))
            env = class_env_variable(ctx.index, f"{ctx.module}.{owner.name}", target.id)
            return Fix(
                f"Drop the default of `{target.id}`; set the environment variable `{env}` "
                "before starting the app",
                FixSafety.UNSAFE,
                (edit,),
            )
        found = find_settings(ctx.index, ctx.path, ctx.module)
        if isinstance(found, str):
            return found
        if found.module == ctx.module and found.instance_line > statement.lineno:
            return "defined above the settings instance"
        ref = reference(ctx.index, ctx.scope.bindings, ctx.module, found)
        if isinstance(ref, str):
            return ref
        field = found.existing(target.id) or found.field_name(target.id)
        edits = [
            Edit(ctx.path, "use-setting", ctx.span(value), (f"{ref[0]}.{field}", ref[1] or ()))
        ]
        if field not in found.fields:
            edits.append(settings_edit(found, field, kind))
        where = "a new `config.py`" if found.create else f"`{found.class_name}`"
        env = env_variable(ctx.index, found, field)
        return Fix(
            f"Read `{field}` from the environment ({where}); set the environment variable "
            f"`{env}` before starting the app",
            FixSafety.UNSAFE,
            tuple(edits),
        )

    def fix(self, module: cst.Module, edits: list[Edit], ctx: FixContext) -> cst.Module:
        import libcst as cst

        from fastapi_fixer.fixing.cstutil import add_imports, rewrite_at, start_only

        replacements = []
        drops = {}
        imports = []
        for edit in edits:
            if edit.kind == "use-setting":
                expression, needed = edit.args
                new = cst.parse_expression(str(expression))
                replacements.append((("SimpleString", "ConcatenatedString"), edit.span, new))
                if needed:
                    imports.append(tuple(needed))
            elif edit.kind == "drop-default":
                name, annotation = edit.args
                assert edit.span is not None
                key = ("SimpleStatementLine", start_only(edit.span))
                drops[key] = _dropper(str(name), str(annotation))
        module = replace_expressions(module, replacements)
        module = rewrite_at(module, drops)
        module = apply_settings_edits(module, edits)
        return add_imports(module, imports)  # type: ignore[arg-type]


def _dropper(name: str, annotation: str):
    def drop(node, as_operand):
        import libcst as cst

        assert isinstance(node, cst.SimpleStatementLine)
        small = node.body[0]
        new = cst.AnnAssign(
            target=cst.Name(name),
            annotation=cst.Annotation(cst.parse_expression(annotation)),
            value=None,
        )
        if isinstance(small, cst.AnnAssign):
            new = small.with_changes(value=None, equal=cst.MaybeSentinel.DEFAULT)
        return node.with_changes(body=[new, *node.body[1:]])

    return drop
