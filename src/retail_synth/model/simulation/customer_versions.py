"""The version of a customer in effect on a day: the lookup that the walk and the table modules share.

customer_history decides the versions, gold_customer_dim records them, and
the World carries this small index of that table (key and home store per
version) to the tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CustomerVersions:
    """Which version of each customer is in effect on a day: what the walk and the table modules look up."""

    lookup: np.ndarray        # int64 sorted: customer index << 32 | (first day + 1)
    key: np.ndarray           # int32 customer_key of each version
    home: np.ndarray          # int16 home store location index of each version

    @staticmethod
    def lookup_keys(customer: np.ndarray, first_day: np.ndarray) -> np.ndarray:
        """The sort key of versions by (customer index, first day; -1 for a first version)."""
        return (np.asarray(customer, dtype=np.int64) << 32) | (np.asarray(first_day, dtype=np.int64) + 1)

    def index(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """The version in effect for each (customer index, simulation day)."""
        return np.searchsorted(self.lookup, self.lookup_keys(customer, day), side="right") - 1

    def key_on(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """customer_key of the version in effect on each row's day."""
        return self.key[self.index(customer, day)]

    def home_on(self, customer: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Home store (location index) of the version in effect on each row's day."""
        return self.home[self.index(customer, day)]
