"""What blocks: the known synchronous APIs, by fully qualified name, grouped by the rule that
cares (FF101 blocking I/O, FF102 synchronous SDKs, FF103 CPU-bound work, FF106 single file
system metadata calls).

A *call* entry means calling that name blocks. A *factory* entry means the call returns an object
whose methods block (``requests.Session()``, ``open()``); the object's type name is what method
calls are reported against (``requests.Session.get``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

BLOCKING = "blocking"
SYNC_SDK = "sync-sdk"
CPU_BOUND = "cpu-bound"
METADATA = "metadata"

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

DEFAULT_CALLS: dict[str, tuple[str, ...]] = {
    BLOCKING: (
        "time.sleep",
        *(f"requests.{verb}" for verb in _HTTP_VERBS),
        "requests.api.*",
        *(f"httpx.{verb}" for verb in _HTTP_VERBS),
        "httpx.stream",
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "urllib.request.OpenerDirector.open",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "subprocess.Popen",
        "os.system",
        "os.popen",
        "os.wait",
        "os.waitpid",
        "builtins.open",
        "builtins.input",
        "io.open",
        "os.fdopen",  # the file of `tempfile.mkstemp`, written next
        "sqlite3.connect",
        "psycopg2.connect",
        "psycopg.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "socket.create_connection",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "shutil.copyfile",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copytree",
        "shutil.rmtree",
        "shutil.move",
        "shutil.copyfileobj",
        "shutil.make_archive",
        "shutil.unpack_archive",
        "tempfile.NamedTemporaryFile",
        "tempfile.TemporaryFile",
        # directory listings: a read of every entry of a directory (or a tree, for `**`), not
        # one system call on one path. The lazy ones block where their iterator is consumed
        # (`for`, a comprehension, `list(...)`): facts.py marks those calls "[iterated]"
        "os.listdir",
        "glob.glob",
        "glob.iglob[iterated]",
        "os.scandir[iterated]",
        # leaving `with tempfile.TemporaryDirectory() as d:` removes the whole tree (facts.py
        # marks the call "[with]" when it is the context expression); creating it is FF106's
        "tempfile.TemporaryDirectory[with]",
        # leaving `with ThreadPoolExecutor() as pool:` waits for every task it was given
        "concurrent.futures.ThreadPoolExecutor[with]",
        "concurrent.futures.ProcessPoolExecutor[with]",
    ),
    SYNC_SDK: (
        # stripe's resource classes: `stripe.Customer.create(...)`, `stripe.checkout.Session.list()`
        *(
            f"stripe.*.{verb}"
            for verb in (
                "create",
                "retrieve",
                "modify",
                "update",
                "delete",
                "list",
                "search",
                "capture",
                "confirm",
                "cancel",
                "pay",
                "refund",
                "expire",
                "attach",
                "detach",
                "upcoming",
                "finalize_invoice",
                "void_invoice",
                "send_invoice",
                "mark_uncollectible",
                "create_*",
                "retrieve_*",
                "modify_*",
                "delete_*",
                "list_*",
            )
        ),
        # openai < 1.0's module-level resources (their `acreate` twins are async)
        "openai.ChatCompletion.create",
        "openai.Completion.create",
        "openai.Embedding.create",
        "openai.Moderation.create",
        "openai.Image.create",
        "openai.Image.create_edit",
        "openai.Image.create_variation",
        "openai.Audio.transcribe",
        "openai.Audio.translate",
    ),
    CPU_BOUND: (
        "bcrypt.hashpw",
        "bcrypt.checkpw",
        "bcrypt.kdf",
        "hashlib.pbkdf2_hmac",
        "hashlib.scrypt",
        "passlib.hash.*.hash",
        "passlib.hash.*.verify",
        "passlib.context.CryptContext.hash",
        "passlib.context.CryptContext.verify",
        "passlib.context.CryptContext.verify_and_update",
        # `PIL.Image.open` is lazy (it reads the header); the work is in the image's methods
        "PIL.Image.Image.*",
        "PIL.ImageOps.*",
        "pandas.read_*",
    ),
    # one system call on a path: cheap and numerous, reported by FF106 (off by default)
    METADATA: (
        *(
            f"os.path.{name}"
            for name in (
                "exists",
                "lexists",
                "isfile",
                "isdir",
                "islink",
                "ismount",
                "getsize",
                "getmtime",
                "getatime",
                "getctime",
                "samefile",
                "realpath",
            )
        ),
        *(
            f"os.{name}"
            for name in (
                "stat",
                "lstat",
                "makedirs",
                "mkdir",
                "remove",
                "unlink",
                "rmdir",
                "removedirs",
                "rename",
                "renames",
                "replace",
                "access",
                "chmod",
                "chown",
                "utime",
                "symlink",
                "link",
                "readlink",
                "truncate",
            )
        ),
        "shutil.disk_usage",
        "shutil.chown",
        "shutil.which",
        "tempfile.mkstemp",  # creates an empty file, like `Path.touch`
        "tempfile.mkdtemp",
        "tempfile.TemporaryDirectory",
    ),
}

# factory -> the type name its result's methods are reported as
FACTORIES: dict[str, str] = {
    "subprocess.Popen": "subprocess.Popen",
    "requests.Session": "requests.Session",
    "requests.session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "smtplib.SMTP": "smtplib.SMTP",
    "smtplib.SMTP_SSL": "smtplib.SMTP",
    "sqlite3.connect": "sqlite3.Connection",
    "psycopg2.connect": "psycopg2.connection",
    "psycopg.connect": "psycopg.Connection",
    "pymysql.connect": "pymysql.Connection",
    "socket.socket": "socket.socket",
    "socket.create_connection": "socket.socket",
    "builtins.open": "io.IOBase",
    "io.open": "io.IOBase",
    "os.fdopen": "io.IOBase",
    "pathlib.Path": "pathlib.Path",
    "pathlib.PurePath": "pathlib.PurePath",
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "boto3.client": "boto3.client",
    "boto3.resource": "boto3.resource",
    "boto3.session.Session.client": "boto3.client",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "pymongo.MongoClient": "pymongo.MongoClient",
    "elasticsearch.Elasticsearch": "elasticsearch.Elasticsearch",
    "PIL.Image.open": "PIL.Image.Image",
    "passlib.context.CryptContext": "passlib.context.CryptContext",
    "tempfile.NamedTemporaryFile": "io.IOBase",
    "tempfile.TemporaryFile": "io.IOBase",
    "tempfile.SpooledTemporaryFile": "tempfile.SpooledTemporaryFile",
    "tempfile.TemporaryDirectory": "tempfile.TemporaryDirectory",
    "zipfile.ZipFile": "zipfile.ZipFile",
    "tarfile.open": "tarfile.TarFile",
    "tarfile.TarFile": "tarfile.TarFile",
    # synchronous SDKs (FF102)
    "openai.OpenAI": "openai.OpenAI",
    "openai.AzureOpenAI": "openai.OpenAI",
    "openai.Client": "openai.OpenAI",
    "anthropic.Anthropic": "anthropic.Anthropic",
    "anthropic.Client": "anthropic.Anthropic",
    "anthropic.AnthropicBedrock": "anthropic.Anthropic",
    "anthropic.AnthropicVertex": "anthropic.Anthropic",
    "boto3.Session": "boto3.session.Session",
    "boto3.session.Session": "boto3.session.Session",
    "botocore.session.get_session": "botocore.session.Session",
    "botocore.session.Session": "botocore.session.Session",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "redis.RedisCluster": "redis.Redis",
    "redis.cluster.RedisCluster": "redis.Redis",
    "pymongo.mongo_client.MongoClient": "pymongo.MongoClient",
    "elasticsearch.client.Elasticsearch": "elasticsearch.Elasticsearch",
    "stripe.StripeClient": "stripe.StripeClient",
    # CPU-bound work (FF103)
    "argon2.PasswordHasher": "argon2.PasswordHasher",
    "pwdlib.PasswordHash": "pwdlib.PasswordHash",
    "pwdlib.PasswordHash.recommended": "pwdlib.PasswordHash",
    "cryptography.hazmat.primitives.kdf.pbkdf2.PBKDF2HMAC": "cryptography.kdf",
    "cryptography.hazmat.primitives.kdf.scrypt.Scrypt": "cryptography.kdf",
}

# annotation (qualified) -> instance type, for parameters such as `db: Session`
ANNOTATED_TYPES: dict[str, str] = {
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "pathlib.Path": "pathlib.Path",
    "requests.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "sqlite3.Connection": "sqlite3.Connection",
    "redis.Redis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "pymongo.MongoClient": "pymongo.MongoClient",
    "pymongo.database.Database": "pymongo.database.Database",
    "pymongo.collection.Collection": "pymongo.collection.Collection",
    "elasticsearch.Elasticsearch": "elasticsearch.Elasticsearch",
    "botocore.client.BaseClient": "botocore.client.BaseClient",
    "passlib.context.CryptContext": "passlib.context.CryptContext",
    "fastapi.UploadFile": "fastapi.UploadFile",
    "fastapi.datastructures.UploadFile": "fastapi.UploadFile",
    "starlette.datastructures.UploadFile": "fastapi.UploadFile",
    "openai.OpenAI": "openai.OpenAI",
    "openai.AzureOpenAI": "openai.OpenAI",
    "anthropic.Anthropic": "anthropic.Anthropic",
}

# `Path` methods that make one system call on the path (FF106, see METHOD_CATEGORY)
_PATH_METADATA = (
    "exists",
    "is_file",
    "is_dir",
    "is_symlink",
    "stat",
    "lstat",
    "unlink",
    "rmdir",
    "mkdir",
    "touch",
    "rename",
    "replace",
    "chmod",
    "samefile",
)

# methods of an instance type that block; "*" means every method but NON_BLOCKING_METHODS
INSTANCE_METHODS: dict[str, tuple[str, ...]] = {
    "requests.Session": ("*",),
    "httpx.Client": ("*",),
    "smtplib.SMTP": ("*",),
    "sqlite3.Connection": ("execute", "executemany", "executescript", "commit", "rollback"),
    "psycopg2.connection": ("commit", "rollback"),
    "psycopg.Connection": ("execute", "commit", "rollback"),
    "pymysql.Connection": ("commit", "rollback", "ping"),
    "socket.socket": ("connect", "send", "sendall", "recv", "recv_into", "accept", "sendto"),
    "io.IOBase": ("read", "readline", "readlines", "write", "writelines", "flush"),
    "pathlib.Path": (
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "open",
        # `iterdir`/`glob`/`rglob` only build a lazy generator: they block where it is consumed
        "iterdir[iterated]",
        "glob[iterated]",
        "rglob[iterated]",
        *_PATH_METADATA,
    ),
    "tempfile.SpooledTemporaryFile": ("read", "readline", "readlines", "write", "writelines"),
    "tempfile.TemporaryDirectory": ("cleanup",),  # removes the whole tree
    "subprocess.Popen": ("wait", "communicate"),  # wait for the child process to exit
    "zipfile.ZipFile": ("extractall", "extract", "write"),
    "tarfile.TarFile": ("extractall", "extract", "add"),
    "openai.OpenAI": ("*",),
    "anthropic.Anthropic": ("*",),
    "sqlalchemy.engine.Engine": ("connect", "begin", "execute", "dispose"),
    "sqlalchemy.orm.Session": (
        "execute",
        "scalar",
        "scalars",
        "get",
        "commit",
        "flush",
        "refresh",
        "rollback",
        "merge",
    ),
    "sqlalchemy.orm.Query": (
        "all",
        "first",
        "one",
        "one_or_none",
        "scalar",
        "count",
        "delete",
        "update",
        "get",
    ),
    "boto3.client": ("*",),
    "boto3.resource": ("*",),
    "botocore.client.BaseClient": ("*",),
    "redis.Redis": ("*",),
    "redis.client.Pipeline": ("execute", "watch", "unwatch", "reset"),
    "redis.client.PubSub": (
        "subscribe",
        "psubscribe",
        "unsubscribe",
        "punsubscribe",
        "get_message",
        "listen",
        "ping",
    ),
    "redis.lock.Lock": ("acquire", "release", "extend", "reacquire", "locked", "owned"),
    "pymongo.MongoClient": ("*",),
    "pymongo.database.Database": ("*",),
    "pymongo.collection.Collection": ("*",),
    "elasticsearch.Elasticsearch": ("*",),
    "stripe.StripeClient": ("*",),
    "PIL.Image.Image": ("*",),
    "passlib.context.CryptContext": (
        "hash",
        "encrypt",
        "verify",
        "verify_and_update",
        "dummy_verify",
    ),
    "argon2.PasswordHasher": ("hash", "verify"),
    "pwdlib.PasswordHash": ("hash", "verify", "verify_and_update"),
    "cryptography.kdf": ("derive", "verify"),
}
# factories whose object's `__exit__` blocks: the directory tree is removed, the executor waits
# for its tasks
EXIT_BLOCKS = frozenset(
    {
        "tempfile.TemporaryDirectory",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
    }
)
# ... and whose `__enter__` returns something else than the object: the directory's name
ENTERS_AS_OTHER = frozenset({"tempfile.TemporaryDirectory"})
# (type, attribute or method) -> the type of the result, to follow chains such as
# `Path(__file__).parent / "data"` or `db.query(User).filter(...).first()`
CHAINS: dict[tuple[str, str], str] = {
    **{
        ("pathlib.Path", name): "pathlib.Path"
        for name in (
            "parent",
            "resolve",
            "absolute",
            "with_name",
            "with_suffix",
            "joinpath",
            "expanduser",
            "__truediv__",
        )
    },
    ("sqlalchemy.orm.Session", "query"): "sqlalchemy.orm.Query",
    # a directory listing's items (`for path in folder.glob("*.json")`); "[]": items of
    **{("pathlib.Path", name): "pathlib.Path[]" for name in ("glob", "rglob", "iterdir")},
    ("fastapi.UploadFile", "file"): "tempfile.SpooledTemporaryFile",
    # the sync OpenAI and Anthropic clients: `client.chat.completions.create(...)`
    **{
        ("openai.OpenAI", name): "openai.OpenAI"
        for name in (
            "chat",
            "completions",
            "embeddings",
            "images",
            "audio",
            "transcriptions",
            "translations",
            "speech",
            "files",
            "models",
            "moderations",
            "fine_tuning",
            "jobs",
            "beta",
            "assistants",
            "threads",
            "runs",
            "messages",
            "vector_stores",
            "batches",
            "responses",
            "uploads",
        )
    },
    **{
        ("anthropic.Anthropic", name): "anthropic.Anthropic"
        for name in ("messages", "completions", "beta", "models", "batches")
    },
    **{
        ("sqlalchemy.orm.Query", name): "sqlalchemy.orm.Query"
        for name in (
            "filter",
            "filter_by",
            "order_by",
            "join",
            "outerjoin",
            "limit",
            "offset",
            "options",
            "where",
            "group_by",
            "having",
            "distinct",
        )
    },
    # synchronous SDKs: objects that hand out clients, sub-resources and namespaces
    ("boto3.session.Session", "client"): "boto3.client",
    ("boto3.session.Session", "resource"): "boto3.resource",
    ("botocore.session.Session", "create_client"): "botocore.client.BaseClient",
    **{
        ("boto3.resource", name): "boto3.resource"
        for name in ("Bucket", "Object", "Table", "Queue", "Topic", "Instance")
    },
    ("boto3.resource", "meta"): "boto3.resource.meta",
    ("boto3.resource.meta", "client"): "boto3.client",
    ("redis.Redis", "pipeline"): "redis.client.Pipeline",
    ("redis.Redis", "pubsub"): "redis.client.PubSub",
    ("redis.Redis", "lock"): "redis.lock.Lock",
    ("pymongo.MongoClient", "get_database"): "pymongo.database.Database",
    ("pymongo.MongoClient", "get_default_database"): "pymongo.database.Database",
    ("pymongo.database.Database", "get_collection"): "pymongo.collection.Collection",
    **{
        ("elasticsearch.Elasticsearch", name): "elasticsearch.Elasticsearch"
        for name in (
            "indices",
            "cluster",
            "cat",
            "ingest",
            "nodes",
            "snapshot",
            "tasks",
            "security",
            "sql",
            "async_search",
        )
    },
    **{
        ("stripe.StripeClient", name): "stripe.StripeClient"
        for name in (
            "v1",
            "accounts",
            "balance",
            "charges",
            "checkout",
            "sessions",
            "coupons",
            "customers",
            "invoices",
            "payment_intents",
            "payment_methods",
            "payouts",
            "prices",
            "products",
            "refunds",
            "setup_intents",
            "subscriptions",
            "subscription_items",
            "transfers",
            "webhook_endpoints",
        )
    },
}
# calls on the "*" types above that do no I/O: lazy handles, local signing
NON_BLOCKING_METHODS = frozenset(
    {
        "close",
        "__enter__",
        "__exit__",
        "pipeline",
        "pubsub",
        "lock",
        "Object",
        "Bucket",
        "Table",
        "Queue",
        "Topic",
        "Instance",
        "get_paginator",
        "get_waiter",
        "can_paginate",
        "generate_presigned_url",
        "generate_presigned_post",
        "get_database",
        "get_default_database",
        "get_collection",
        "with_options",
        "construct_event",
        "with_raw_response",
        "with_streaming_response",
        "copy",
    }
)

INSTANCE_CATEGORY: dict[str, str] = {
    "boto3.client": SYNC_SDK,
    "boto3.resource": SYNC_SDK,
    "botocore.client.BaseClient": SYNC_SDK,
    "redis.Redis": SYNC_SDK,
    "redis.client.Pipeline": SYNC_SDK,
    "redis.client.PubSub": SYNC_SDK,
    "redis.lock.Lock": SYNC_SDK,
    "pymongo.MongoClient": SYNC_SDK,
    "pymongo.database.Database": SYNC_SDK,
    "pymongo.collection.Collection": SYNC_SDK,
    "elasticsearch.Elasticsearch": SYNC_SDK,
    "stripe.StripeClient": SYNC_SDK,
    "PIL.Image.Image": CPU_BOUND,
    "passlib.context.CryptContext": CPU_BOUND,
    "argon2.PasswordHasher": CPU_BOUND,
    "pwdlib.PasswordHash": CPU_BOUND,
    "cryptography.kdf": CPU_BOUND,
    "openai.OpenAI": SYNC_SDK,
    "anthropic.Anthropic": SYNC_SDK,
}
# methods of the types above that do no heavy work: they read what the header said
CHEAP_METHODS = frozenset(
    {("PIL.Image.Image", name) for name in ("verify", "getexif", "seek", "tell", "close")}
)
# single methods whose category is not their type's
METHOD_CATEGORY: dict[tuple[str, str], str] = {
    ("pathlib.Path", name): METADATA for name in _PATH_METADATA
}

THREADPOOL_WRAPPERS = frozenset(
    {
        "fastapi.concurrency.run_in_threadpool",
        "starlette.concurrency.run_in_threadpool",
        "asyncio.to_thread",
        "anyio.to_thread.run_sync",
        "trio.to_thread.run_sync",
        "asyncer.asyncify",
    }
)


@dataclass(frozen=True)
class BlockingCatalog:
    """The patterns in force: the defaults plus what the configuration adds."""

    calls: dict[str, tuple[str, ...]]

    @classmethod
    def build(
        cls,
        extra_blocking: Iterable[str] = (),
        extra_sdks: Iterable[str] = (),
        extra_cpu: Iterable[str] = (),
    ) -> BlockingCatalog:
        calls = dict(DEFAULT_CALLS)
        calls[BLOCKING] = (*calls[BLOCKING], *extra_blocking)
        calls[SYNC_SDK] = (*calls[SYNC_SDK], *extra_sdks)
        calls[CPU_BOUND] = (*calls[CPU_BOUND], *extra_cpu)
        calls.setdefault(METADATA, ())
        return cls(calls)

    def category_of_call(self, qualname: str) -> str | None:
        if tuple(qualname.rsplit(".", 1)) in CHEAP_METHODS:
            return None
        for category, patterns in self.calls.items():
            for pattern in patterns:
                if _matches(qualname, pattern):
                    return category
        return None

    def category_of_method(self, instance_type: str, method: str) -> str | None:
        """The category of `<instance>.method(...)`, or None when that method does not block."""
        if (instance_type, method) in CHEAP_METHODS:
            return None
        override = METHOD_CATEGORY.get((instance_type, method))
        if override is not None:
            return override
        methods = INSTANCE_METHODS.get(instance_type)
        if methods is None or method in NON_BLOCKING_METHODS or method.startswith("_"):
            return self.category_of_call(f"{instance_type}.{method}")
        if "*" in methods or method in methods:
            return INSTANCE_CATEGORY.get(instance_type, BLOCKING)
        return self.category_of_call(f"{instance_type}.{method}")


def _matches(qualname: str, pattern: str) -> bool:
    if "*" in pattern:
        return fnmatch.fnmatchcase(qualname, pattern)
    return qualname == pattern
