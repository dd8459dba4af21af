"""OpenAPI links: from an operation that makes a resource to the operations that take its id.

Clients read them to chain calls; schemathesis' stateful phase follows them (create a program,
then read, change and publish it; create an offer, then buy from it or withdraw it).
"""

from __future__ import annotations

import re
from typing import Any

API = "/api/v1"
Target = tuple[str, str, dict[str, str], dict[str, str] | None]


def _ids(name: str, expression: str, *targets: tuple[str, str],
         bodies: tuple[tuple[str, str, dict[str, str]], ...] = ()) -> list[Target]:
    """Links that put `expression` into the path parameter `name` of each target, and into
    the request body of each of `bodies` (method, path, body)."""
    return [*((method, path, {name: expression}, None) for method, path in targets),
            *((method, path, {}, body) for method, path, body in bodies)]


ID = "$response.body#/id"
LINKS: dict[tuple[str, str, str], list[Target]] = {
    ("post", "/programs", "201"): _ids(
        "program_id", ID, ("get", "/programs/{program_id}"),
        ("patch", "/programs/{program_id}"), ("put", "/programs/{program_id}/rules"),
        ("post", "/programs/{program_id}/rules/check"),
        ("post", "/programs/{program_id}/status"), ("post", "/programs/{program_id}/funding"),
        ("get", "/programs/{program_id}/budget"), ("get", "/programs/{program_id}/calls"),
        ("post", "/programs/{program_id}/calls"),
        ("post", "/programs/{program_id}/eligibility"),
        ("get", "/programs/{program_id}/credit-lines"),
        ("get", "/reports/programs/{program_id}"),
        ("put", "/notifications/alerts/programs/{program_id}"),
        bodies=(("post", "/applications", {"program_id": ID}),)),
    ("post", "/programs/presets/{preset_key}", "201"): _ids(
        "program_id", ID, ("get", "/programs/{program_id}"),
        ("post", "/programs/{program_id}/status")),
    ("post", "/applications", "201"): _ids(
        "application_id", ID, ("get", "/applications/{application_id}"),
        ("post", "/applications/{application_id}/submit"),
        ("post", "/applications/{application_id}/evidence"),
        ("post", "/applications/{application_id}/decision"),
        ("post", "/applications/{application_id}/issue")),
    ("post", "/providers/data-centres", "201"): _ids(
        "dc_id", ID, ("get", "/providers/data-centres/{dc_id}"),
        bodies=(("post", "/providers/clusters", {"data_centre_id": ID}),)),
    ("post", "/providers/clusters", "201"): _ids(
        "cluster_id", ID, ("get", "/providers/clusters/{cluster_id}"),
        ("put", "/providers/clusters/{cluster_id}/attestation-key"),
        ("get", "/providers/clusters/{cluster_id}/attestations"),
        ("get", "/providers/clusters/{cluster_id}/provenance"),
        ("post", "/compliance/clusters/{cluster_id}/holds"),
        bodies=(("post", "/market/offers", {"cluster_id": ID}),)),
    ("post", "/market/offers", "201"): _ids(
        "offer_id", ID, ("get", "/market/offers/{offer_id}"),
        ("post", "/market/offers/{offer_id}/withdraw"),
        bodies=(("post", "/market/instant-buys", {"offer_id": ID}),)),
    ("post", "/market/orders", "201"): _ids(
        "order_id", ID, ("get", "/market/orders/{order_id}"),
        ("post", "/market/orders/{order_id}/cancel")),
    ("post", "/market/instant-buys", "201"): _ids(
        "contract_id", ID, ("get", "/market/contracts/{contract_id}"),
        ("post", "/market/contracts/{contract_id}/cancel"),
        ("put", "/market/contracts/{contract_id}/placement"),
        ("get", "/metering/contracts/{contract_id}/usage")),
    ("post", "/market/rounds", "201"): _ids(
        "round_id", ID, ("get", "/market/rounds/{round_id}"),
        ("get", "/market/rounds/{round_id}/snapshot"),
        ("get", "/market/rounds/{round_id}/result"),
        ("get", "/market/rounds/{round_id}/rerun")),
    ("post", "/documents", "201"): _ids(
        "document_id", ID, ("get", "/documents/{document_id}"),
        ("get", "/documents/{document_id}/content")),
    ("post", "/tokens", "201"): _ids("token_id", ID, ("delete", "/tokens/{token_id}")),
    ("post", "/notifications/webhooks", "201"): _ids(
        "endpoint_id", ID, ("patch", "/notifications/webhooks/{endpoint_id}"),
        ("delete", "/notifications/webhooks/{endpoint_id}")),
    ("post", "/catalog/accelerators", "201"): _ids(
        "model", "$response.body#/model", ("get", "/catalog/accelerators/{model}"),
        ("patch", "/catalog/accelerators/{model}")),
}


def add_links(schema: dict[str, Any]) -> None:
    """Write LINKS into the document's responses, by operationId; a link whose source or
    target is not in the document is an error (a renamed route must update it)."""
    paths = schema["paths"]
    for (method, path, status), targets in LINKS.items():
        response = paths[API + path][method]["responses"][status]
        links = response.setdefault("links", {})
        for target_method, target_path, parameters, body in targets:
            target = paths[API + target_path][target_method]
            link: dict[str, Any] = {"operationId": target["operationId"]}
            if parameters:
                link["parameters"] = parameters
            if body:
                link["requestBody"] = body
            name = re.sub(r"[^A-Za-z0-9]+", "_", f"{target_method} {target_path}")
            links[name.strip("_")] = link
