"""The sandbox charges what the client counts: the one token table lives in reconciler.pipedrive.costs."""

from reconciler.pipedrive.costs import TOKEN_COSTS, endpoint_type, token_cost

__all__ = ["TOKEN_COSTS", "endpoint_type", "token_cost"]
