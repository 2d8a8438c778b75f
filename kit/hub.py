"""The Hugging Face hub: probe it once, and switch to offline mode when it does not answer.

Offline, a load from the local cache fails in a second or two instead of retrying for most of a minute.
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.error
import urllib.request

log = logging.getLogger("kit.hub")

_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")


def hub_endpoint() -> str:
    """The hub URL (``$HF_ENDPOINT`` or https://huggingface.co)."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_offline_requested() -> bool:
    """Whether the user already switched the Hugging Face libraries to offline mode."""
    return any(os.environ.get(name, "").upper() in {"1", "ON", "YES", "TRUE"} for name in _OFFLINE_VARIABLES)


def hub_reachable(timeout: float = 4.0) -> bool:
    """Whether the hub answers at all (any HTTP status counts), within ``timeout`` seconds.

    Uses urllib, so ``HTTPS_PROXY`` and friends are honoured like the HF libraries do.
    """
    request = urllib.request.Request(f"{hub_endpoint()}/api/whoami-v2", method="HEAD")
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
    except urllib.error.HTTPError:
        pass  # the server answered (401 without a token): it is reachable
    except (OSError, ValueError) as exc:
        log.info("hub %s unreachable: %s", hub_endpoint(), exc)
        return False
    return True


def prepare_hub() -> bool:
    """Whether the hub is reachable; if not (or offline mode was asked for), use the local cache only from now on."""
    if not hub_offline_requested() and hub_reachable():
        return True
    for name in _OFFLINE_VARIABLES:
        os.environ[name] = "1"
    # The libraries read the variables at import time: update the modules already imported too.
    patches = {
        "huggingface_hub.constants": ("HF_HUB_OFFLINE",),
        "datasets.config": ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"),
        "transformers.utils.hub": ("_is_offline_mode",),  # transformers 4.x keeps its own copy
    }
    for module_name, names in patches.items():
        module = sys.modules.get(module_name)
        for name in names:
            if module is not None and hasattr(module, name):
                setattr(module, name, True)
    return False
