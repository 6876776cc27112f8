"""The YAML files users write (grammars, property targets, active-learning configurations), read so that every
problem is one line naming the file: missing, unreadable (not text), or not valid YAML, with the line where it
breaks."""

from pathlib import Path

import yaml


def yaml_text(path, error, what):
    """The text of the file `path`; raises `error` (a SymffError class) naming the file and `what` it is where it is
    missing or cannot be read as text."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read the {what}: {exc}") from None


def parsed_yaml(text, source, error, load=yaml.safe_load):
    """`load(text)`; a YAML syntax error is raised as `error`, "SOURCE:LINE: not valid YAML: what is wrong"."""
    try:
        return load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise error(f"{source}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None


def read_yaml(path, error, what):
    """The data of the YAML file `path` (`yaml_text`, then `parsed_yaml`)."""
    return parsed_yaml(yaml_text(path, error, what), path, error)
