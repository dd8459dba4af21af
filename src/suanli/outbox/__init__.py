"""The outbox: domain events written in the transaction of the change that causes them.

A domain calls `outbox.emit(session, "voucher.issued", ...)` beside its audit record; the
row commits or rolls back with the change, so a reader of the outbox (notifications) never
learns of a change that did not happen and never misses one that did. This package sits
just above `kit`: every domain may call it, and it imports none of them.
"""

from suanli.outbox.service import emit

__all__ = ["emit"]
