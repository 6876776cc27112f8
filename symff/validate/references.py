"""Reference values of material properties, per element, each set with its source (units of `properties.UNITS`)."""

REFERENCES = {
    "Cu": {
        "DFT": {
            "source": "PBE, as reported by the POET paper (Hernandez et al. 2019, npj Comput. Mater. 5, 112)",
            "values": {"a0": 3.6324, "C11": 176.2, "C12": 123.1, "C44": 76.7, "B": (176.2 + 2 * 123.1) / 3,
                       "dE_bcc_fcc": 36.0},
        },
        "expt": {
            "source": "experiment, as compiled by Mishin et al. 2001, Phys. Rev. B 63, 224106, Table I",
            "values": {"a0": 3.615, "E_coh": 3.54, "C11": 170.0, "C12": 122.5, "C44": 75.8, "B": 138.3,
                       "E_vac": 1.27},
        },
    },
}


def references_for(symbol):
    """{label: {"source", "values"}} for `symbol`: the table above, else the DFT values of the element's shipped
    targets file (`symff/targets/<symbol>-PBE.yaml`, e.g. those derived from the mlearn data); empty where neither
    exists."""
    if symbol in REFERENCES:
        return REFERENCES[symbol]
    from ..targets import read_targets, shipped_targets  # targets builds on validate.properties: imported on use

    path = shipped_targets(f"{symbol}-PBE.yaml")
    if not path.exists():
        return {}
    targets = read_targets(path)
    return {"DFT": {"source": targets.reference, "values": {t.name: t.value for t in targets.for_element(symbol)}}}
