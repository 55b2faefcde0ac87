"""Which providers and models exist, and what each can do.

Built-in providers are defined here; the config file can override their base
URL or add any number of OpenAI-compatible endpoints. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rtchat.errors import UnavailableFailure

EFFORTS = ("off", "low", "medium", "high", "max")
PROTOCOLS = ("sse", "websocket", "webrtc")
PROTOCOL_NAMES = {"sse": "SSE", "websocket": "WebSocket", "webrtc": "WebRTC"}  # how every screen and line names them
SSE_WS = ("sse", "websocket")


def protocol_name(protocol: str) -> str:
    """One naming everywhere: SSE, WebSocket, WebRTC (an unknown id as it is)."""
    return PROTOCOL_NAMES.get(protocol, protocol)


@dataclass(frozen=True)
class ModelInfo:
    id: str
    thinking: bool | None = None  # None: unknown (a model only the server's list told us about)
    protocols: tuple[str, ...] = ("sse",)
    voice: bool = False
    default_effort: str | None = None
    note: str = ""
    ws_wire: str | None = None  # WebSocket wire when it differs from the provider's: "openai_realtime" | "openai_responses_ws" | "gemini_live" | "deepseek_socket"
    context_window: int | None = None  # tokens the model reads at most (prompt and history); None: unknown
    accepts: tuple[str, ...] | None = None  # attachment kinds it reads (image, pdf, text); None: unknown, the provider decides
    realtime_dialect: str | None = None  # "ga" | "beta" for this model (a config declaration); None: the provider's
    tools: bool | None = None  # False: never offered tools (a config declaration); None: as the wire allows


@dataclass(frozen=True)
class Provider:
    id: str
    label: str
    wire: str  # a key of rtchat.wire.WIRES
    base_url: str  # "" for the built-in loopback: started on demand
    key_env: tuple[str, ...] = ()
    needs_key: bool = True
    effort_style: str = "openai"  # openai | deepseek | openrouter | generic | budget | level
    models: tuple[ModelInfo, ...] = ()
    default_model: str = ""
    allow_insecure: bool = False
    lists_models: bool = True
    custom: bool = False
    ws_wire: str | None = None  # the WebSocket wire of its models (None: no WebSocket API)
    realtime_dialect: str | None = None  # "ga" | "beta"; None: as the server's session.created says
    api_version: str = ""  # Azure OpenAI: the `api-version` query parameter
    realtime_prefixes: tuple[str, ...] = ("gpt-realtime",)  # model names that speak OpenAI Realtime ("": every name)
    realtime_webrtc: bool = True  # those models also take OpenAI's WebRTC call (`/realtime/calls`)

    def model(self, model_id: str) -> ModelInfo:
        for info in self.models:
            if info.id == model_id:
                return info
        base = model_id.split("@", 1)[0]
        for info in self.models:
            if info.id == base:
                return replace(info, id=model_id)
        if self.wire == "azure_chat" and "realtime" in model_id:  # an Azure deployment of a Realtime model
            return ModelInfo(model_id, False, ("websocket",), voice=True, ws_wire="openai_realtime")
        if self.wire.startswith("openai") and model_id.startswith(self.realtime_prefixes):
            protocols = ("websocket", "webrtc") if self.realtime_webrtc else ("websocket",)
            return ModelInfo(model_id, False, protocols, voice=True, ws_wire="openai_realtime")
        if "live" in model_id and self.wire == "gemini":
            return ModelInfo(model_id, False, ("websocket",), voice=True, ws_wire="gemini_live")
        return ModelInfo(model_id)


def _models(*items: ModelInfo) -> tuple[ModelInfo, ...]:
    return items


BUILTIN: dict[str, Provider] = {
    "openai": Provider(
        "openai", "OpenAI", "openai_chat", "https://api.openai.com/v1", ("OPENAI_API_KEY",),
        models=_models(
            ModelInfo("gpt-5", True, SSE_WS, default_effort="low", context_window=400_000),
            ModelInfo("gpt-5-mini", True, SSE_WS, default_effort="low", context_window=400_000),
            ModelInfo("gpt-4.1", False, SSE_WS, context_window=1_047_576),
            ModelInfo("o4-mini", True, SSE_WS, default_effort="medium", context_window=200_000),
            ModelInfo("gpt-realtime", False, ("websocket", "webrtc"), voice=True, ws_wire="openai_realtime", context_window=32_000),
        ),
        default_model="gpt-5-mini",
        ws_wire="openai_responses_ws",  # Responses API WebSocket mode
    ),
    "anthropic": Provider(
        "anthropic", "Anthropic", "anthropic", "https://api.anthropic.com", ("ANTHROPIC_API_KEY",), effort_style="budget",
        models=_models(
            ModelInfo("claude-sonnet-4-5", True, default_effort="low", context_window=200_000),
            ModelInfo("claude-opus-4-1", True, default_effort="low", context_window=200_000),
            ModelInfo("claude-haiku-4-5", True, default_effort="off", context_window=200_000),
        ),
        default_model="claude-sonnet-4-5",
    ),
    "gemini": Provider(
        "gemini", "Google Gemini", "gemini", "https://generativelanguage.googleapis.com", ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
        effort_style="budget",
        models=_models(
            ModelInfo("gemini-2.5-pro", True, context_window=1_048_576),
            ModelInfo("gemini-2.5-flash", True, context_window=1_048_576),
            ModelInfo("gemini-live-2.5-flash-preview", False, ("websocket",), voice=True, ws_wire="gemini_live", context_window=32_768),
        ),
        default_model="gemini-2.5-flash",
    ),
    "deepseek": Provider(
        "deepseek", "DeepSeek", "openai_chat", "https://api.deepseek.com", ("DEEPSEEK_API_KEY",), effort_style="deepseek",
        models=_models(
            ModelInfo("deepseek-chat", False, context_window=128_000, accepts=("text",)),
            ModelInfo("deepseek-reasoner", True, context_window=128_000, accepts=("text",)),
            ModelInfo("deepseek-v4-flash", True, SSE_WS, note="DeepSeek V4 (the article's ids; WebSocket: the article's /v4/chat socket)"),
            ModelInfo("deepseek-v4-pro", True, SSE_WS, note="DeepSeek V4 (the article's ids; WebSocket: the article's /v4/chat socket)"),
        ),
        default_model="deepseek-chat",
        ws_wire="deepseek_socket",  # the article's wss://api.deepseek.com/v4/chat (opt-in: --protocol websocket)
    ),
    "tokenpapa": Provider(
        "tokenpapa", "TokenPAPA (unified gateway)", "openai_chat", "https://api.tokenpapa.ai/v1", ("TOKENPAPA_API_KEY",),
        effort_style="generic",
        models=_models(
            ModelInfo("deepseek-v4-flash", True),
            ModelInfo("deepseek-v4-pro", True),
            ModelInfo("gpt-5", True),
            ModelInfo("claude-sonnet-4-5", True),
            ModelInfo("gemini-2.5-pro", True),
        ),
        default_model="deepseek-v4-flash",
    ),
    "openrouter": Provider(
        "openrouter", "OpenRouter", "openai_chat", "https://openrouter.ai/api/v1", ("OPENROUTER_API_KEY",),
        effort_style="openrouter",
        models=_models(ModelInfo("openai/gpt-5", True), ModelInfo("anthropic/claude-sonnet-4.5", True), ModelInfo("deepseek/deepseek-r1", True)),
        default_model="openai/gpt-5",
    ),
    # Servers and gateways people run: OpenAI-compatible, each with its address, key variable and reasoning dialect.
    "litellm": Provider(
        "litellm", "LiteLLM proxy (local)", "openai_chat", "http://localhost:4000/v1", ("LITELLM_API_KEY",), needs_key=False,
        effort_style="openai",
    ),
    # LiteLLM's `/v1/realtime` route relays OpenAI Realtime events to whatever its config names (OpenAI, Azure,
    # xAI, Gemini...): every alias asked for here is a Realtime model, whatever its name.
    "litellm-realtime": Provider(
        "litellm-realtime", "LiteLLM proxy, realtime route (local)", "openai_chat", "http://localhost:4000/v1", ("LITELLM_API_KEY",),
        needs_key=False, ws_wire="openai_realtime", realtime_prefixes=("",), realtime_webrtc=False,
        lists_models=False,  # the same proxy's list is `litellm`'s: one probe of it, not two
    ),
    "vllm": Provider(
        "vllm", "vLLM (local)", "openai_chat", "http://localhost:8000/v1", ("VLLM_API_KEY",), needs_key=False, effort_style="generic",
    ),
    "llamacpp": Provider(
        "llamacpp", "llama.cpp server (local)", "openai_chat", "http://localhost:8080/v1", ("LLAMACPP_API_KEY",), needs_key=False,
        effort_style="generic",
    ),
    "lmstudio": Provider(
        "lmstudio", "LM Studio (local)", "openai_chat", "http://localhost:1234/v1", ("LMSTUDIO_API_KEY",), needs_key=False,
        effort_style="generic",
    ),
    "groq": Provider(
        "groq", "Groq", "openai_chat", "https://api.groq.com/openai/v1", ("GROQ_API_KEY",), effort_style="generic",
        models=_models(ModelInfo("llama-3.3-70b-versatile", False), ModelInfo("qwen/qwen3-32b", True)), default_model="llama-3.3-70b-versatile",
    ),
    "together": Provider(
        "together", "Together AI", "openai_chat", "https://api.together.xyz/v1", ("TOGETHER_API_KEY",), effort_style="generic",
        models=_models(ModelInfo("deepseek-ai/DeepSeek-R1", True), ModelInfo("meta-llama/Llama-3.3-70B-Instruct-Turbo", False)),
        default_model="meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    "fireworks": Provider(
        "fireworks", "Fireworks AI", "openai_chat", "https://api.fireworks.ai/inference/v1", ("FIREWORKS_API_KEY",), effort_style="generic",
        models=_models(ModelInfo("accounts/fireworks/models/deepseek-r1", True)), default_model="accounts/fireworks/models/deepseek-r1",
    ),
    "mistral": Provider(
        "mistral", "Mistral", "openai_chat", "https://api.mistral.ai/v1", ("MISTRAL_API_KEY",), effort_style="generic",
        models=_models(ModelInfo("mistral-large-latest", False), ModelInfo("magistral-medium-latest", True)), default_model="mistral-large-latest",
    ),
    "xai": Provider(
        "xai", "xAI", "openai_chat", "https://api.x.ai/v1", ("XAI_API_KEY",), effort_style="openai",
        models=_models(
            ModelInfo("grok-4", True), ModelInfo("grok-3-mini", True, default_effort="low"),
            # The Voice Agent API: wss://api.x.ai/v1/realtime, OpenAI Realtime events, a Bearer XAI_API_KEY.
            ModelInfo("grok-voice-think-fast-1.0", False, ("websocket",), voice=True, ws_wire="openai_realtime", note="xAI Voice Agent (Realtime events)"),
        ),
        default_model="grok-4",
        realtime_prefixes=("grok-voice",), realtime_webrtc=False,  # grok-voice-latest and the releases to come
    ),
    "ollama": Provider(
        "ollama", "Ollama (local)", "openai_chat", "http://localhost:11434/v1", ("OLLAMA_API_KEY",), needs_key=False,
        effort_style="generic", models=_models(ModelInfo("llama3.2"), ModelInfo("qwen3", True)), default_model="llama3.2",
    ),
    "loopback": Provider(
        "loopback", "Loopback (built in, offline)", "openai_chat", "", (), needs_key=False, effort_style="generic",
        models=_models(
            ModelInfo("echo", True, PROTOCOLS, voice=True, note="thinks, then repeats your prompt", context_window=32_000),
            ModelInfo("lorem", True, PROTOCOLS, note="a long markdown document at ~50 tokens/s", context_window=32_000),
            ModelInfo("redacted", True, note="Anthropic wire: a redacted thinking block"),
            ModelInfo("tools", True, PROTOCOLS, voice=True, note="calls the tools it is offered, then answers from their results", context_window=32_000),
            ModelInfo("refusal", False, note="refuses", accepts=("text",)),
        ),
        default_model="echo",
        ws_wire="openai_realtime",  # {loopback}/v1/realtime
    ),
}


def is_fault_model(model_id: str) -> bool:
    """The loopback's fault models (`fault-429`, `fault-stall`, ...): each fails one way, on purpose."""
    return model_id.startswith("fault-")


def scripted_models(provider: Provider, scripted: dict[str, str]) -> list[ModelInfo]:
    """The loopback's scripted models the catalogue does not list (`deliberate`, the fault models),
    each with what it does as its note: what `rtchat models` and the model picker both add."""
    known = {m.id for m in provider.models}
    return [replace(provider.model(model_id), note=note) for model_id, note in scripted.items() if model_id not in known]


# Providers tried, in order, for the default model when the config names none.
DEFAULT_ORDER = ("openai", "anthropic", "gemini", "deepseek", "openrouter")


class UnknownProvider(UnavailableFailure, ValueError):
    pass


@dataclass(frozen=True)
class ModelRef:
    provider: str
    model: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}"


def parse_model_ref(text: str) -> ModelRef:
    """`PROVIDER/MODEL`, split at the first slash (`openrouter/openai/gpt-5`)."""
    provider, sep, model = text.strip().partition("/")
    if not sep or not provider or not model:
        raise ValueError(f"model ids look like PROVIDER/MODEL (e.g. loopback/echo), not {text!r}")
    return ModelRef(provider, model)


AZURE_API_VERSION = "2025-04-01-preview"  # a version whose Realtime deployments speak the beta dialect
WIRE_NAMES = {"responses": "openai_responses", "chat": "openai_chat", "azure": "azure_chat"}
OPENAI_APIS = ("openai_chat", "openai_responses")  # the wires of a server that may offer both of OpenAI's APIs


# A model's `socket_api` in the config: its WebSocket wire and, for Realtime, the dialect.
SOCKET_APIS = {
    "realtime-ga": ("openai_realtime", "ga"), "realtime-beta": ("openai_realtime", "beta"),
    "live": ("gemini_live", None), "responses-ws": ("openai_responses_ws", None), "deepseek": ("deepseek_socket", None),
}
MODEL_KEYS = ("protocols", "socket_api", "thinking", "images", "audio", "tools")
KINDS_BUT_IMAGES = ("pdf", "text")  # what `images = false` leaves a model whose kinds were unknown


def declared_model(provider: Provider, model_id: str, table: object) -> ModelInfo:
    """`[providers.NAME.models."MODEL"]`: what the user says the model speaks and accepts,
    over what the catalogue (or the name rules) would say. Every key is used or refused."""
    if not isinstance(table, dict):
        raise ValueError(f"models.{model_id!r} must be a table of {', '.join(MODEL_KEYS)}")
    unknown = sorted(set(table) - set(MODEL_KEYS))
    if unknown:
        raise ValueError(f"models.{model_id!r}: unknown {', '.join(unknown)} (known: {', '.join(MODEL_KEYS)})")
    for key in ("thinking", "images", "audio", "tools"):
        if key in table and not isinstance(table[key], bool):
            raise ValueError(f"models.{model_id!r}: {key} must be true or false")
    info = provider.model(model_id)
    fields: dict[str, Any] = {}
    if "socket_api" in table:
        if table["socket_api"] not in SOCKET_APIS:
            raise ValueError(f"models.{model_id!r}: socket_api must be one of {', '.join(SOCKET_APIS)}, not {table['socket_api']!r}")
        fields["ws_wire"], fields["realtime_dialect"] = SOCKET_APIS[table["socket_api"]]
    if "protocols" in table:
        protocols = table["protocols"]
        if not isinstance(protocols, list) or not protocols or any(p not in PROTOCOLS for p in protocols):
            raise ValueError(f"models.{model_id!r}: protocols must be a list of {', '.join(PROTOCOLS)}")
        fields["protocols"] = tuple(p for p in PROTOCOLS if p in protocols)
    elif "socket_api" in table and "websocket" not in info.protocols:
        fields["protocols"] = info.protocols + ("websocket",)
    if "thinking" in table:
        fields["thinking"] = table["thinking"]
    if "audio" in table:
        fields["voice"] = table["audio"]
    if "tools" in table:
        fields["tools"] = table["tools"]
    if "images" in table:
        kinds = info.accepts
        if table["images"] and kinds is not None and "image" not in kinds:
            fields["accepts"] = kinds + ("image",)
        elif not table["images"]:
            fields["accepts"] = tuple(k for k in (kinds or KINDS_BUT_IMAGES) if k != "image")
    declared = replace(info, id=model_id, **fields)
    socket = declared.ws_wire or provider.ws_wire
    if "websocket" in declared.protocols and socket is None:
        raise ValueError(f"models.{model_id!r} speaks websocket: say which API with socket_api = one of {', '.join(SOCKET_APIS)}")
    if "webrtc" in declared.protocols and socket not in (None, "openai_realtime"):
        raise ValueError(f"models.{model_id!r}: WebRTC carries the Realtime API only, not socket_api = {table.get('socket_api')!r}")
    return declared


def with_api(provider: Provider, api: str) -> Provider:
    """`provider` over OpenAI's Chat Completions or Responses API (`--api`, `api = ...`).

    Only an OpenAI-compatible server can be switched; a provider with its own API
    (Anthropic, Gemini, Azure's deployments) refuses rather than being silently ignored."""
    if provider.wire not in OPENAI_APIS:
        raise ValueError(f"provider '{provider.id}' speaks its own API ({provider.wire}), not OpenAI's; api = {api!r} is only for OpenAI-compatible providers")
    return replace(provider, wire=WIRE_NAMES[api])


def provider_from_config(name: str, table: dict[str, Any], base: Provider | None) -> Provider:
    """A built-in provider with config overrides, or a custom OpenAI-compatible (or Azure) one."""
    models = table.get("models")
    model_infos = tuple(ModelInfo(str(m)) for m in models) if isinstance(models, list) else None
    declared = models if isinstance(models, dict) else {}  # [providers.NAME.models."MODEL"] tables
    key_env = table.get("key_env")
    fields: dict[str, Any] = {}
    if "base_url" in table:
        fields["base_url"] = str(table["base_url"])
    if key_env:
        fields["key_env"] = (str(key_env),) if isinstance(key_env, str) else tuple(map(str, key_env))
    if "allow_insecure" in table:
        fields["allow_insecure"] = bool(table["allow_insecure"])
    if "effort_style" in table:
        fields["effort_style"] = str(table["effort_style"])
    kind = table.get("kind", table.get("api"))
    if kind is not None:
        fields["wire"] = WIRE_NAMES.get(str(kind), str(kind))
        if base is not None and str(kind) in ("chat", "responses"):
            fields["wire"] = with_api(base, str(kind)).wire
    if fields.get("wire") == "azure_chat":
        fields["api_version"] = str(table.get("api_version", AZURE_API_VERSION))
        fields["ws_wire"] = "openai_realtime"
        fields["effort_style"] = fields.get("effort_style", "openai")
    elif "api_version" in table:
        fields["api_version"] = str(table["api_version"])
    if "realtime_dialect" in table:
        dialect = str(table["realtime_dialect"])
        if dialect not in ("ga", "beta"):
            raise ValueError(f"provider '{name}': realtime_dialect must be \"ga\" or \"beta\", not {dialect!r}")
        fields["realtime_dialect"] = dialect
    if table.get("chat_socket"):
        fields["ws_wire"] = "deepseek_socket"  # the article's DeepSeek V4 socket at {base}/v4/chat
    if "needs_key" in table:
        fields["needs_key"] = bool(table["needs_key"])
    if base is not None:
        if model_infos:
            known = {m.id for m in base.models}
            unlisted = replace(base, models=())  # a listed name keeps what its name says (gpt-realtime*: WebSocket)
            fields["models"] = base.models + tuple(unlisted.model(m.id) for m in model_infos if m.id not in known)
        if "default_model" in table:
            fields["default_model"] = str(table["default_model"])
        return with_declared_models(replace(base, **fields), declared)
    if "base_url" not in table:
        raise ValueError(f"provider '{name}' needs a base_url")
    model_infos = model_infos or ()
    custom = Provider(
        id=name,
        label=str(table.get("label", name)),
        wire=fields.pop("wire", "openai_chat"),
        base_url=fields.pop("base_url"),
        key_env=fields.pop("key_env", (f"{name.upper().replace('-', '_')}_API_KEY",)),
        needs_key=fields.pop("needs_key", True),
        effort_style=fields.pop("effort_style", "generic"),
        models=model_infos,
        default_model=str(table.get("default_model") or (model_infos[0].id if model_infos else next(iter(declared), ""))),
        allow_insecure=fields.pop("allow_insecure", False),
        custom=True,
        **fields,
    )
    custom = replace(custom, models=tuple(replace(custom, models=()).model(m.id) for m in custom.models))  # as for a built-in, above
    return with_declared_models(custom, declared)


def with_declared_models(provider: Provider, declared: dict[str, Any]) -> Provider:
    """The provider with each declared model replacing (or joining) its catalogue entry."""
    if not declared:
        return provider
    infos = {info.id: info for info in provider.models}
    for model_id, table in declared.items():
        infos[str(model_id)] = declared_model(provider, str(model_id), table)
    return replace(provider, models=tuple(infos.values()))


@dataclass
class Catalog:
    providers: dict[str, Provider] = field(default_factory=lambda: dict(BUILTIN))

    def provider(self, provider_id: str) -> Provider:
        try:
            return self.providers[provider_id]
        except KeyError:
            known = ", ".join(sorted(self.providers))
            raise UnknownProvider(f"unknown provider '{provider_id}' (known: {known}; add others in the config file)") from None
