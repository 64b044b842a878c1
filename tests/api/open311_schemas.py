"""JSON Schemas of GeoReport v2 responses, written by us from the specification (the GeoReport
v2 text). They add to the upstream schemas in open311_schema/upstream/ (open311/schema-validation,
see its SOURCE.md): SERVICES, SERVICE_DEFINITION and REQUESTS are stricter local companions of upstream
ones (no personal field, W3C datetimes with an offset), the others cover documents upstream has no schema
for (discovery, errors, the POST answer, tokens, servicerequestupdates). The XML form of each response is
checked against open311_schema/georeport-v2*.xsd."""

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
W3C = {"type": ["string", "null"], "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$"}

ERRORS = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer", "minimum": 400, "maximum": 599}, "description": STRING},
    },
}

SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": STRING,
            "service_name": STRING,
            "description": STRING,
            "metadata": {"type": ["boolean", "string"], "enum": [True, False, "true", "false"]},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": STRING,
            "group": STRING,
        },
        "additionalProperties": False,
    },
}

SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": STRING,
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "variable",
                    "code",
                    "datatype",
                    "required",
                    "datatype_description",
                    "order",
                    "description",
                ],
                "properties": {
                    "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": STRING, "name": STRING},
                        },
                    },
                },
            },
        },
    },
}

PERSONAL = ["email", "first_name", "last_name", "phone", "device_id", "account_id", "name", "nik"]

REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
        "properties": {
            "service_request_id": STRING,
            "status": {"enum": ["open", "closed"]},
            "status_notes": NULLABLE_STRING,
            "service_name": STRING,
            "service_code": STRING,
            "description": NULLABLE_STRING,
            "agency_responsible": NULLABLE_STRING,
            "service_notice": NULLABLE_STRING,
            "requested_datetime": W3C,
            "updated_datetime": W3C,
            "expected_datetime": W3C,
            "address": NULLABLE_STRING,
            "address_id": NULLABLE_STRING,
            "zipcode": NULLABLE_STRING,
            "lat": {"type": ["number", "null"]},
            "long": {"type": ["number", "null"]},
            "media_url": {"type": ["string", "null"], "pattern": "^https?://"},
            "extended_attributes": {"type": "object"},
            "notes": {"type": "array"},
        },
        "not": {"anyOf": [{"required": [field]} for field in PERSONAL]},
    },
}

CREATED = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {"service_request_id": STRING, "service_notice": NULLABLE_STRING, "account_id": NULLABLE_STRING},
        "not": {"required": ["token"]},
    },
}

TOKEN = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["service_request_id", "token"],
        "properties": {"service_request_id": STRING, "token": STRING},
        "additionalProperties": False,
    },
}

UPDATES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime"],
        "properties": {
            "update_id": STRING,
            "service_request_id": STRING,
            "status": {"enum": ["open", "closed"]},
            "updated_datetime": W3C,
            "description": NULLABLE_STRING,
            "external_status_code": NULLABLE_STRING,
            "media_url": NULLABLE_STRING,
        },
        "additionalProperties": False,
    },
}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "changeset": W3C,
        "contact": STRING,
        "key_service": STRING,
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["specification", "url", "changeset", "type", "formats"],
                "properties": {
                    "url": {"type": "string", "pattern": "^https?://.*[^/]$"},
                    "changeset": W3C,
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
                },
            },
        },
    },
}
