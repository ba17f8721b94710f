"""Importing a cloud bill from CSV: the rows that are right, and every row that is not."""

from datetime import datetime, timezone

import pytest

from collectors.cost_csv import read_bill
from sloboard.errors import InputError


def write(tmp_path, text):
    path = tmp_path / "bill.csv"
    path.write_text(text)
    return path


def test_daily_rows_land_at_the_end_of_their_day_and_add_up(tmp_path):
    bill = read_bill(write(tmp_path, "Date,Service,USD\n2026-11-01,checkout,10.5\n2026-11-01,checkout,1.5\n2026-11-02,search,3\n"))
    day_end = int(datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp())
    assert bill.amounts == {("service:checkout", day_end): 12.0, ("service:search", day_end + 86_400): 3.0}
    assert bill.total_usd == pytest.approx(15.0)


def test_cost_column_and_team_scope_are_accepted(tmp_path):
    bill = read_bill(write(tmp_path, "date,team,cost\n2026-11-01T06:00:00Z,payments,2\n"))
    assert list(bill.amounts) == [("team:payments", int(datetime(2026, 11, 1, 6, tzinfo=timezone.utc).timestamp()))]


def test_every_bad_row_is_named_and_nothing_is_imported(tmp_path):
    path = write(tmp_path, "date,service,usd\n2026-11-01,checkout,1\n2026-13-01,checkout,1\n2026-11-02,,1\n2026-11-03,search,abc\n")
    with pytest.raises(InputError) as err:
        read_bill(path)
    lines = str(err.value).splitlines()
    assert lines[0].startswith(f"{path}:3: date '2026-13-01'")
    assert lines[1] == f"{path}:4: service is empty"
    assert lines[2].startswith(f"{path}:5: could not convert string to float")
    assert lines[3] == "3 bad row(s); nothing imported"


def test_missing_columns_are_listed(tmp_path):
    with pytest.raises(InputError, match=r"bill.csv:1: missing column\(s\): usd, service\|team\|namespace"):
        read_bill(write(tmp_path, "date,amount\n2026-11-01,3\n"))


def test_empty_bill_is_an_error(tmp_path):
    with pytest.raises(InputError, match="no rows to import"):
        read_bill(write(tmp_path, "date,service,usd\n"))
