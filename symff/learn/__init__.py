"""Active learning (`symff learn CONFIG`): choose the structures to label where the model's committee disagrees.

- `config`: the YAML configuration of a run (`LearnConfig`).
- `oracle`: the reference calculator, any ASE calculator named in the configuration, and labelling with it.
- `select`: MD with the current model and the choice of frames by committee disagreement with a diversity rule.
- `loop`: the iterations, kept in a run directory that a killed run resumes from without labelling again.
"""

from .config import LearnConfig, load_config
from .loop import run_learning

__all__ = ["LearnConfig", "load_config", "run_learning"]
