"""The OpenAPI schema as committed in docs/openapi.json (a test keeps it current, so a change
to the API shows up in review). Regenerate with:

    .venv/bin/python -m cadrebook.api.schema > docs/openapi.json
"""

from __future__ import annotations

import json
import os


def schema_text() -> str:
    from cadrebook.api.root import api

    return json.dumps(api.get_openapi_schema(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    print(schema_text(), end="")
