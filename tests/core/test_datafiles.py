"""``extriage.datafiles.load_yaml``: libyaml's C loader when present, with the pure-Python safe
loader's results and safety, on every YAML file the package ships."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import extriage
from extriage import datafiles
from extriage.datafiles import load_yaml

PACKAGE = Path(extriage.__file__).parent
DATA_FILES = sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def test_uses_the_c_loader_when_pyyaml_has_it() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    assert datafiles.SAFE_LOADER is yaml.CSafeLoader


def test_packaged_data_files_exist() -> None:
    assert len(DATA_FILES) >= 10
    names = {p.name for p in DATA_FILES}
    assert {"catalog.yaml", "locations.yml", "event_layouts.yml", "registry.yml", "steps.yaml"} <= names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_same_data_as_the_pure_python_safe_loader(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert load_yaml(text) == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "a: 1\nb: [x, 'y', \"z\"]\nc: {d: null, e: ~}\n",
        "when: 2021-03-02\nat: 2021-03-02 10:00:00Z\nyes_no: [yes, no, on, off, true, false]\n",
        "n: [0o17, 0x1f, 1_000, 1.5e3, .inf, -.inf]\nkeep: '0123'\n",
        "anchors: &a {x: 1}\nmerged: {<<: *a, y: 2}\n",
        "block: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
        "unicode: \"caf\\u00e9 \\U0001F600\"\nraw: café\n",
    ],
)
def test_same_semantics_as_safe_load(text: str) -> None:
    assert load_yaml(text) == yaml.safe_load(text)


def test_python_objects_are_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(yaml.YAMLError):
        load_yaml("x: !!python/name:os.system\n")


def test_invalid_yaml_is_a_yaml_error() -> None:
    with pytest.raises(yaml.YAMLError):
        load_yaml("rules: [\n")
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: b: c\n")


def test_repeated_data_files_are_parsed_once() -> None:
    from extriage.detections.events.engine import default_rules
    from extriage.detections.mitigations.catalog import load_catalog
    from extriage.detections.webfiles.knowledge import location_rules
    from extriage.formats.event_record import layouts
    from extriage.response.plan import step_definitions
    from extriage.scan.stages.events.correlate_stage import exploitation_periods

    for loader in (default_rules, load_catalog, location_rules, layouts, step_definitions, exploitation_periods):
        assert loader() is loader(), loader.__name__
