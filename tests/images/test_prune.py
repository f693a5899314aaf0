from types import SimpleNamespace

from sandbox.images import builder
from sandbox.progress import SilentProgress


class FakeImages:
    def __init__(self, images):
        self._images = images
        self.removed = []

    def list(self, filters):
        assert filters == {"label": "sandbox.inputs"}
        return self._images

    def remove(self, tag):
        self.removed.append(tag)


def fake_client(images, used_ids):
    containers = SimpleNamespace(
        list=lambda all: [SimpleNamespace(image=SimpleNamespace(id=i)) for i in used_ids]
    )
    return SimpleNamespace(images=FakeImages(images), containers=containers)


def test_prune_removes_superseded_tags_but_keeps_current_and_used(monkeypatch):
    current = sorted(builder.current_tags())
    images = [
        SimpleNamespace(id="cur", tags=current[:2], labels={"sandbox.recipe": "base"}),
        SimpleNamespace(id="old", tags=["sandbox/python:000000000000"],
                        labels={"sandbox.recipe": "python"}),
        SimpleNamespace(id="used", tags=["sandbox/postgres:111111111111"],
                        labels={"sandbox.recipe": "postgres"}),
        # made from binaries outside the recipes (`images official-toxiproxy`): not superseded
        SimpleNamespace(id="official", tags=["sandbox/toxiproxy-official:222222222222"],
                        labels={"sandbox.recipe": "toxiproxy-official"}),
    ]
    client = fake_client(images, used_ids=["used"])
    monkeypatch.setattr(builder.dockerapi, "client", lambda: client)
    assert builder.prune_images(SilentProgress()) == ["sandbox/python:000000000000"]
    assert client.images.removed == ["sandbox/python:000000000000"]


def test_current_tags_cover_base_packages_and_images():
    tags = builder.current_tags()
    repos = {t.split(":")[0] for t in tags}
    assert "sandbox/base" in repos
    assert {"sandbox/python", "sandbox/python-packages", "sandbox/postgres"} <= repos
