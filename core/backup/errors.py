"""Why a backup could not be taken or restored, with a stable code."""

from __future__ import annotations


class BackupError(Exception):
    """A backup refused or failed; ``message`` says why and what to do, for an operator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message


def corrupt(reason: str) -> BackupError:
    """The file is not a backup this system wrote, or it was changed or cut short since."""
    return BackupError(
        "BACKUP_CORRUPT",
        f"the backup file is damaged or was changed after it was written ({reason}); "
        "nothing was restored",
    )
