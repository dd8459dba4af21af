"""The one error the agent's commands report: a message, the option to fix, an exit status."""

from __future__ import annotations

# Exit statuses, the same for every command.
MISMATCH = 1  # an attestation was recorded as a mismatch
USAGE = 2  # bad input: an option, a key file, an inventory file
PLATFORM = 3  # the platform refused the request or could not be reached
NO_NVML = 4  # no NVML on this machine


class AgentError(RuntimeError):
    """Something the operator must fix; ``field`` names the option or the refused field."""

    def __init__(self, message: str, *, field: str, exit_code: int) -> None:
        super().__init__(message)
        self.field = field
        self.exit_code = exit_code
