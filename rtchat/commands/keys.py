"""`rtchat keys`: set, delete, list and locate API keys (never print one)."""

from __future__ import annotations

import getpass
import sys

from rtchat.catalog import UnknownProvider
from rtchat.commands.common import fail, load_config_or_report
from rtchat.secrets import KeyStoreUnavailable, delete_key, keyring_problem, lookup_key, set_key


def read_secret(provider_id: str) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return getpass.getpass(f"API key for {provider_id} (input hidden): ").strip()


def run_keys(args) -> int:
    config = load_config_or_report()
    if config is None:
        return 2
    action = args.keys_command
    if action in ("list", "where") and (problem := keyring_problem()):
        print(f"rtchat: warning: {problem}; showing keys from the environment only", file=sys.stderr)
    if action == "list":
        listed = 0
        for provider in config.catalog.providers.values():
            if not provider.needs_key:
                continue
            found = lookup_key(provider)
            if found.value:
                print(f"{provider.id}\t{found.source}")
                listed += 1
        if not listed:
            print("rtchat: no keys yet; add one with `rtchat keys set PROVIDER` (or ctrl+o in the app)", file=sys.stderr)
        return 0
    try:
        provider = config.catalog.provider(args.provider)
    except UnknownProvider as exc:
        return fail(str(exc))
    if action == "where":
        found = lookup_key(provider)
        if found.source is None:
            env = " or ".join(provider.key_env) or "(none)"
            print(f"{provider.id}: no key (env: {env}; keyring: service rtchat, user {provider.id})")
            return 1
        print(f"{provider.id}: {found.source}")
        return 0
    try:
        if action == "set":
            value = read_secret(provider.id)
            if not value:
                return fail("no key given; nothing stored")
            set_key(provider, value)
            print(f"stored the key for {provider.id} in the OS keyring")
            return 0
        if action == "delete":
            if delete_key(provider):
                print(f"deleted the key for {provider.id} from the OS keyring")
                return 0
            return fail(f"the keyring has no key for {provider.id}", 1)
    except KeyStoreUnavailable as exc:
        if action == "delete":  # nothing can be stored without a keyring, so nothing is deleted
            env = " or ".join(provider.key_env)
            unset = f"; a key from the environment goes when you unset {env}" if env else ""
            return fail(f"no OS keyring is available, so it holds no key for {provider.id}{unset}", 1)
        return fail(str(exc))
    return fail(f"unknown action {action}")
