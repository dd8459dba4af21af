"""Demo world of the providers domain: data centres in all ten hubs, clusters, attestations.

Every cluster is attested through the real attestation service with a recorded (fake)
inventory signed by a fresh key; one H20 cluster reports H100s and is suspended with an
open case; one H800 cluster waits for an auditor with its provenance documents; one
A800 cluster was approved. Running the step twice adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.catalog.service import load_reference_data
from suanli.kit.timeutil import utcnow
from suanli.providers import attestations, compliance, provenance, repository, service
from suanli.providers.attestation import build_payload, load_private_key, new_key_pair, sign
from suanli.providers.models import (
    CaseKind,
    CaseStatus,
    Cluster,
    DataCentre,
    Decision,
    OperatorType,
)
from suanli.providers.schemas import ClusterCreate, DataCentreCreate

# (slug, name, name_zh, city); qingyang-state-dc comes with the demo's identities.
PROVIDERS = [
    ("ningxia-west-cloud", "Ningxia West Cloud Computing Co.", "宁夏西云算力有限公司", "yinchuan"),
    ("guian-state-compute", "Gui'an State Computing Centre", "贵安国家算力中心", "guiyang"),
    ("horinger-green-dc", "Horinger Green Data Centre Co.", "和林格尔绿色数据中心有限公司",
     None),
    ("yrd-compute", "Yangtze Delta Compute Co.", "长三角算力有限公司", "shanghai"),
    ("bth-state-compute", "Zhangjiakou State Computing Centre", "张家口国家算力中心", "beijing"),
    ("gba-shaoguan-dc", "Shaoguan Data Centre Cluster Co.", "韶关数据中心集群有限公司",
     "guangzhou"),
    ("chengyu-compute", "Chengdu-Chongqing Compute Co.", "成渝算力有限公司", "chengdu"),
]


@dataclass(frozen=True)
class DemoDc:
    org: str
    name: str
    name_zh: str
    hub: str | None
    city: str | None
    operator: OperatorType
    pue: str
    green: str
    racks: int


S, C = OperatorType.STATE, OperatorType.COMMERCIAL
DATA_CENTRES = [
    DemoDc("qingyang-state-dc", "Qingyang Zone A", "庆阳A区", "gs-qingyang", "qingyang", S,
           "1.15", "0.62", 1200),
    DemoDc("ningxia-west-cloud", "Zhongwei Campus 2", "中卫二号园区", "nx-zhongwei", None, C,
           "1.13", "0.55", 800),
    DemoDc("guian-state-compute", "Gui'an Core Hall", "贵安核心机房", "gz-guian", "guiyang", S,
           "1.18", "0.48", 900),
    DemoDc("horinger-green-dc", "Horinger North", "和林格尔北区", "im-horinger", None, C,
           "1.12", "0.70", 600),
    DemoDc("yrd-compute", "Qingpu Green Park", "青浦绿色园区", "yrd-demo-zone", "shanghai", C,
           "1.24", "0.35", 500),
    DemoDc("yrd-compute", "Wuhu Jiangbei", "芜湖江北", "yrd-wuhu", None, C, "1.22", "0.30", 400),
    DemoDc("yrd-compute", "Lingang AIDC", "临港智算中心", None, "shanghai", C, "1.28", "0.20", 300),
    DemoDc("bth-state-compute", "Zhangjiakou Huailai", "张家口怀来", "bth-zhangjiakou", None, S,
           "1.20", "0.58", 1000),
    DemoDc("gba-shaoguan-dc", "Shaoguan Wujiang", "韶关浈江", "gba-shaoguan", None, S, "1.21",
           "0.40", 700),
    DemoDc("chengyu-compute", "Tianfu Lake", "天府湖畔", "cy-tianfu", "chengdu", C, "1.23", "0.52",
           450),
    DemoDc("chengyu-compute", "Chongqing Liangjiang", "重庆两江", "cy-chongqing", "chongqing", S,
           "1.25", "0.45", 350),
]

# (data centre, cluster, model, nodes, GPUs per node, interconnect, plan)
# plan: "attest" all nodes; "partial:N" only N nodes; "mismatch:NAME" a node reports NAME;
# "approve" provenance approved then attested; "await" provenance uploaded, undecided.
CLUSTERS = [
    ("Qingyang Zone A", "QY-910B-01", "ascend-910b", 16, 8, "HCCS 392 GB/s, 8 x 200G RoCE",
     "attest"),
    ("Qingyang Zone A", "QY-H20-01", "h20", 16, 8, "NVLink 900 GB/s, 8 x 400G IB", "attest"),
    ("Qingyang Zone A", "QY-H800-01", "h800-sxm", 8, 8, "NVLink 400 GB/s, 8 x 400G IB",
     "await"),
    ("Zhongwei Campus 2", "ZW-A800-01", "a800-sxm-80g", 4, 8, "NVLink 400 GB/s, 4 x 200G IB",
     "approve"),
    ("Zhongwei Campus 2", "ZW-L20-01", "l20", 8, 8, "PCIe, 2 x 100G RoCE", "attest"),
    ("Gui'an Core Hall", "GA-910B-01", "ascend-910b", 16, 8, "HCCS 392 GB/s, 8 x 200G RoCE",
     "attest"),
    ("Gui'an Core Hall", "GA-H20-02", "h20", 4, 8, "NVLink 900 GB/s, 4 x 400G IB",
     "mismatch:NVIDIA H100 80GB HBM3"),
    ("Horinger North", "HG-910C-01", "ascend-910c", 8, 8, "HCCS, 8 x 400G RoCE", "attest"),
    ("Qingpu Green Park", "QP-L20-01", "l20", 8, 8, "PCIe, 2 x 100G RoCE", "attest"),
    ("Qingpu Green Park", "QP-H20-01", "h20", 8, 8, "NVLink 900 GB/s, 8 x 400G IB", "attest"),
    ("Wuhu Jiangbei", "WH-910B-01", "ascend-910b", 8, 8, "HCCS 392 GB/s, 4 x 200G RoCE",
     "partial:3"),
    ("Lingang AIDC", "LG-H20-01", "h20", 4, 8, "NVLink 900 GB/s, 4 x 400G IB", "attest"),
    ("Zhangjiakou Huailai", "ZJK-H20-01", "h20", 16, 8, "NVLink 900 GB/s, 8 x 400G IB",
     "attest"),
    ("Zhangjiakou Huailai", "ZJK-910B-01", "ascend-910b", 8, 8, "HCCS 392 GB/s, 8 x 200G RoCE",
     "attest"),
    ("Shaoguan Wujiang", "SG-L20-01", "l20", 8, 8, "PCIe, 2 x 100G RoCE", "attest"),
    ("Tianfu Lake", "TF-910B-01", "ascend-910b", 8, 8, "HCCS 392 GB/s, 8 x 200G RoCE",
     "attest"),
    ("Chongqing Liangjiang", "CQ-K100-01", "hygon-k100-ai", 4, 8, "xGMI, 2 x 100G RoCE",
     "attest"),
]

# What each model's node reports (NVML, npu-smi or the vendor's tool) and its memory in MiB.
REPORTED = {
    "ascend-910b": ("Ascend 910B", 65536), "ascend-910c": ("Ascend 910C", 131072),
    "h20": ("NVIDIA H20", 97871), "h800-sxm": ("NVIDIA H800", 81559),
    "a800-sxm-80g": ("NVIDIA A800-SXM4-80GB", 81920), "l20": ("NVIDIA L20", 46068),
    "hygon-k100-ai": ("Hygon DCU K100_AI", 65536),
    "NVIDIA H100 80GB HBM3": ("NVIDIA H100 80GB HBM3", 81559),
}


def seed_catalogue(session: Session) -> None:
    """Load the packaged accelerators, hubs and cities."""
    load_reference_data(session)


def _organisations(session: Session) -> dict[str, int]:
    ids = {}
    for slug, name, name_zh, city in PROVIDERS:
        org = auth_repo.org_by_slug(session, slug)
        if org is None:
            org = auth_service.create_organisation(session, slug=slug, name=name,
                                                   name_zh=name_zh, kind=OrgKind.PROVIDER,
                                                   city=city)
        ids[slug] = org.id
    home = auth_repo.org_by_slug(session, "qingyang-state-dc")
    if home is not None:
        ids["qingyang-state-dc"] = home.id
    return ids


def _data_centre(session: Session, org_id: int, spec: DemoDc) -> DataCentre:
    existing = repository.data_centre_by_name(session, org_id, spec.name)
    if existing is not None:
        return existing
    data = DataCentreCreate(name=spec.name, name_zh=spec.name_zh, hub_id=spec.hub,
                            city_id=spec.city, operator_type=spec.operator,
                            pue=Decimal(spec.pue), green_share=Decimal(spec.green),
                            racks=spec.racks)
    return service.register_data_centre(session, org_ids={org_id}, data=data)


def inventory(cluster: Cluster, node: int, model: str | None = None
              ) -> tuple[str, list[dict[str, object]]]:
    """A recorded inventory of one node (as the agent reads it): its host name and GPUs,
    each with the reported name, a stable UUID and memory."""
    name, memory = REPORTED[model or cluster.accelerator_model]
    host = f"{cluster.name.lower()}-n{node:02d}"
    gpus: list[dict[str, object]] = [
        {"index": i, "name": name, "uuid": f"GPU-demo-{cluster.id:04d}-{node:02d}-{i}",
         "memory_total_mib": memory} for i in range(cluster.gpus_per_node)]
    return host, gpus


def attest_nodes(session: Session, cluster: Cluster, private_pem: bytes, nodes: range,
                 model: str | None = None) -> None:
    """Attest the given nodes through the real service, signed with the cluster's key."""
    key = load_private_key(private_pem)
    for node in nodes:
        host, gpus = inventory(cluster, node, model)
        payload = build_payload(cluster_id=cluster.id, hostname=host, gpus=gpus, now=utcnow())
        attestations.receive(session, org_ids={cluster.organisation_id},
                             cluster_id=cluster.id, payload=payload,
                             signature=sign(payload, key))


def _pdf(title: str) -> bytes:
    """A small but well-formed PDF page carrying the document's title."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 14 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
               + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(
        f"{o:010d} 00000 n \n".encode() for o in offsets)
    return out + b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n" + str(xref).encode() \
        + b"\n%%EOF\n"


# (file name, kind, date): purchases before the controls of 2023-11-17.
EVIDENCE = [
    ("purchase-contract-2023-08.pdf", "purchase_record", date(2023, 8, 21)),
    ("customs-declaration-2023-09.pdf", "other", date(2023, 9, 5)),
]


def demo_provenance(session: Session, cluster: Cluster, *, approve: bool) -> None:
    """Upload the cluster's provenance documents; an auditor approves when asked to."""
    for filename, kind, when in EVIDENCE:
        provenance.upload(session, org_ids={cluster.organisation_id}, user_id=None,
                          cluster_id=cluster.id, filename=f"{cluster.name}-{filename}",
                          data=_pdf(f"{cluster.name}: {filename}"), kind=kind,
                          document_date=when)
    if not approve:
        return
    auditor = auth_repo.user_by_username(session, "auditor")
    for case in repository.cases_of(session, cluster.id, status=CaseStatus.OPEN,
                                    kind=CaseKind.PROVENANCE):
        compliance.decide(session, case_id=case.id, decision=Decision.APPROVE,
                          reason="Purchase contract and customs declaration predate the "
                                 "export controls of 2023-11-17.",
                          user_id=None if auditor is None else auditor.id)


def _carry_out(session: Session, cluster: Cluster, private_pem: bytes, plan: str) -> None:
    kind, _, arg = plan.partition(":")
    everyone = range(cluster.nodes)
    if kind == "partial":
        attest_nodes(session, cluster, private_pem, range(int(arg)))
    elif kind == "mismatch":
        attest_nodes(session, cluster, private_pem, range(1, cluster.nodes))
        attest_nodes(session, cluster, private_pem, range(1), model=arg)
    else:
        if kind in ("approve", "await"):
            demo_provenance(session, cluster, approve=kind == "approve")
        attest_nodes(session, cluster, private_pem, everyone)


def seed_providers(session: Session) -> None:
    """Provider organisations, data centres in the ten hubs, clusters and attestations."""
    orgs = _organisations(session)
    dcs = {spec.name: _data_centre(session, orgs[spec.org], spec) for spec in DATA_CENTRES
           if spec.org in orgs}
    for dc_name, name, model, nodes, per_node, interconnect, plan in CLUSTERS:
        dc = dcs.get(dc_name)
        if dc is None or repository.cluster_by_name(session, dc.id, name) is not None:
            continue
        private_pem, public = new_key_pair()
        cluster = service.register_cluster(session, org_ids={dc.organisation_id},
                                           data=ClusterCreate(
            data_centre_id=dc.id, name=name, accelerator_model=model, nodes=nodes,
            gpus_per_node=per_node, interconnect=interconnect, attestation_key=public))
        _carry_out(session, cluster, private_pem, plan)
