"""Pipedrive's error responses as an exception, so any layer can stop a request with one line."""

from __future__ import annotations

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


class ApiError(Exception):
    """A request Pipedrive would refuse: carries the HTTP status and the ``error`` text.

    Why an exception: validation happens deep in parsing and reference checks; raising lets
    the router turn it into Pipedrive's error body (and roll the transaction back) in one place.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, object]:
        """Pipedrive's error envelope, identical in v1 and v2."""
        return {
            "success": False,
            "error": self.message,
            "error_info": ERROR_INFO,
            "data": None,
            "additional_data": None,
        }


def bad_request(message: str) -> ApiError:
    """A 400: the request is malformed or names something that does not exist."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """A 404: the addressed object (or route) does not exist."""
    return ApiError(404, message)
