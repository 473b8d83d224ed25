"""Stream schemas, read from Oura's own OpenAPI spec (vendored, version 1.37).

The spec is the source of truth for fields: each route's 200 response names its record model,
and the model becomes the stream schema through the SDK's `OpenAPISchema`. Updating the vendored
file is how new Oura fields reach the tap; `tests/test_spec_drift.py` says what changed.
"""

from __future__ import annotations

import copy
import typing as t
from importlib import resources

from singer_sdk.schema.source import OpenAPISchema, OpenAPISchemaNormalizer

if t.TYPE_CHECKING:
    from collections.abc import Sequence

SPEC_FILE = resources.files("tap_oura") / "openapi" / "oura-openapi-1.37.json"
COLLECTION_PREFIX = "/v2/usercollection/"

# The spec types every date and time as a plain string. Days and UTC instants get a JSON Schema
# format so loaders type them; local date-times stay text because they carry the wearer's UTC
# offset, which `timestamp` columns would drop (reference/meltano-stack.md §3.2).
_STRING_FORMATS = {
    "ISODate": {"type": "string", "format": "date"},
    "UtcDateTime": {"type": "string", "format": "date-time"},
    "LocalizedDateTime": {"type": "string"},
    "LocalDateTime": {"type": "string"},
}


class OuraSchemaNormalizer(OpenAPISchemaNormalizer):
    """Turn the spec's OpenAPI 3.1 idioms into the plain JSON Schema Singer targets expect."""

    def normalize_schema(
        self,
        schema: dict[str, t.Any],
        *,
        key_properties: Sequence[str] = (),
    ) -> dict[str, t.Any]:
        """Unwrap `anyOf [X, null]`; drop titles, vendor `x-` keys and non-key `required` lists."""
        schema = {
            key: value
            for key, value in schema.items()
            if key != "title" and not key.startswith("x-")
        }
        variants = schema.get("anyOf")
        if variants and len(variants) == 2 and {"type": "null"} in variants:
            (inner,) = (v for v in variants if v != {"type": "null"})
            schema.pop("anyOf")
            schema = {**inner, **schema, "nullable": True}
        if "required" in schema:
            # Missing optional fields mean null; only keys must be present (checked per record).
            required = [name for name in schema.pop("required") if name in key_properties]
            if required:
                schema["required"] = required
        normalized = super().normalize_schema(schema, key_properties=key_properties)
        if "type" not in normalized and "properties" in normalized:
            normalized["type"] = ["object", "null"]
        return normalized


class OuraOpenAPISchema(OpenAPISchema[str]):
    """Schemas keyed by route: the record model of the route's collection response."""

    def __init__(self) -> None:
        """Read the vendored spec, with date formats added (see `_STRING_FORMATS`)."""
        super().__init__(SPEC_FILE, preprocessor=OuraSchemaNormalizer())

    def _load_spec(self) -> dict[str, t.Any]:
        spec = super()._load_spec()
        spec["components"]["schemas"].update(copy.deepcopy(_STRING_FORMATS))
        return spec

    def collection_routes(self) -> list[str]:
        """Return the route segments of every collection endpoint in the spec."""
        return sorted(
            path.removeprefix(COLLECTION_PREFIX)
            for path in self.spec["paths"]
            if path.startswith(COLLECTION_PREFIX) and "{" not in path
        )

    def model_name(self, route: str) -> str:
        """Return the name of the record model a route's 200 response carries."""
        response = self.spec["paths"][COLLECTION_PREFIX + route]["get"]["responses"]["200"]
        schema = response["content"]["application/json"]["schema"]
        # Collections answer `anyOf [<Envelope>_<Model>_, <Envelope>Dict]`; the Dict variant is
        # what `fields=` returns. personal_info answers the bare model.
        ref = schema["anyOf"][0]["$ref"] if "anyOf" in schema else schema["$ref"]
        name = ref.rsplit("/", 1)[-1]
        envelope = self.spec["components"]["schemas"][name]
        if "data" in envelope.get("properties", {}):
            return envelope["properties"]["data"]["items"]["$ref"].rsplit("/", 1)[-1]
        return name

    def get_unresolved_schema(self, key: str) -> dict[str, t.Any]:
        """Point at the model of route `key` (the SDK default would treat it as a model name)."""
        return {"$ref": f"#/components/schemas/{self.model_name(key)}"}


OURA_SCHEMAS = OuraOpenAPISchema()
