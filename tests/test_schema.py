import pandas as pd
import pytest

import leaklab
from leaklab import schema
from leaklab.errors import SchemaError


@pytest.mark.parametrize("kind", ["findings", "secrets"])
def test_empty_frames_meet_their_contract(kind):
    df = schema.empty(kind)
    schema.validate(df, kind)
    assert list(df.columns) == schema.columns(kind)
    assert {str(df[c.name].dtype) for c in schema.contract(kind) if c.dtype == schema.UTC_TIME} <= {"datetime64[ns, UTC]"}


def test_validate_names_missing_and_wrong_columns():
    df = schema.empty("findings")
    with pytest.raises(SchemaError, match="missing columns: tool"):
        schema.validate(df.drop(columns="tool"), "findings")
    bad = df.assign(commit_time=pd.Series([], dtype="datetime64[ns]"))
    with pytest.raises(SchemaError, match="'commit_time' has dtype datetime64\\[ns\\], expected datetime64\\[ns, UTC\\]"):
        schema.validate(bad, "findings")


def test_unknown_kind():
    with pytest.raises(SchemaError, match="unknown frame kind 'nope'"):
        schema.empty("nope")


def test_describe_documents_every_column():
    d = leaklab.describe("findings")
    assert d["meaning"].str.len().min() > 10 and len(d) == len(schema.FINDINGS)
