"""A small cache kept in each process: at most `size` entries, each for `max_age` seconds, the least
recently used going first. For answers keyed by what they depend on (a report's version, the catalogue's
version), where the age only bounds what the key cannot see."""

import threading
import time
from collections import OrderedDict


class ExpiringLRU:
    def __init__(self, size, max_age):
        self.size, self.max_age = size, max_age
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The value kept for `key`, or None."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if hit[0] < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return hit[1]

    def put(self, key, value):
        with self._lock:
            self._items[key] = (time.monotonic() + self.max_age, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self):
        return len(self._items)

    def clear(self):
        with self._lock:
            self._items.clear()
