import asyncio

from services.platform.secret_watch import SecretWatch


class Store:
    def __init__(self):
        self.values = {"a": "1", "b": "2"}
        self.reads = []

    def get(self, name, max_age_s=None):
        self.reads.append((name, max_age_s))
        return self.values[name]


def test_a_change_of_any_watched_secret_hands_every_value_over_once():
    store, seen = Store(), []

    async def changed(values):
        seen.append(values)

    watch = SecretWatch(store, ["a", "b"], changed, interval_s=0)

    async def scenario():
        assert await watch.check() is False  # the first read is what the service holds
        assert await watch.check() is False
        store.values["b"] = "3"
        assert await watch.check() is True
        assert await watch.check() is False

    asyncio.run(scenario())
    assert seen == [{"a": "1", "b": "3"}]
    assert all(max_age == 0 for _, max_age in store.reads)  # always read again
