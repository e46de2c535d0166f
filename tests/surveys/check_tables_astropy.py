#!/usr/bin/python3
"""Checks a cosmograd mock-table file pair (FITS + HDF5) with astropy and h5py against a spec.

usage: check_tables_astropy.py FILE.fits FILE.h5 --expect SPEC.json [--verbose]

Every table is opened with astropy.table.Table.read(FILE.fits, hdu=NAME) (any astropy warning
is a failure) and with h5py, and the script checks: the format markers, the table names, the
column names (in order), units (the TUNITn string and HDF5 'unit' attribute equal the spec; the
astropy unit equals the spec parsed as a FITS unit), dtypes, row counts, descriptions and
metadata (FITS and HDF5 agree), and that FITS and HDF5 hold identical values (NaN equal NaN).

SPEC.json:
  {
    "tables": {                          # exactly the tables the files hold
      "galaxies": {
        "rows": 1000,                    # optional: exact row count ("min_rows": n for a bound)
        "columns": {                     # every column, in file order: name -> unit ("" for none)
          "ra": "deg",
          "is_central": {"unit": "", "dtype": "bool"}
        },                               # dtypes: float64 float32 int64 int32 bool str
        "meta": ["BoxSize", "HodModel"]  # optional: metadata names that must be present
      }
    }
  }

Exit status: 0 when everything matches, 1 with one line per mismatch on stderr otherwise.
"""
import argparse
import json
import sys
import warnings

import h5py
import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

FORMAT = "cosmograd mock tables 1"


def text(value):
    return value.decode("ascii") if isinstance(value, bytes) else str(value)


def dtype_name(dtype):
    if dtype.kind in "SU":
        return "str"
    return "bool" if dtype.kind == "b" else dtype.newbyteorder("=").name


def same_values(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "S" and b.dtype.kind == "S":  # FITS pads with spaces, HDF5 with NULs
        a, b = np.char.rstrip(a, b" "), np.char.rstrip(b, b" ")
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def check_table(name, spec, fits_path, hdul, h5, errors, verbose):
    def err(msg):
        errors.append(f"table {name}: {msg}")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = Table.read(fits_path, hdu=name)
    for w in caught:
        err(f"astropy warned while reading {fits_path}: {w.category.__name__}: {w.message}")
    header = hdul[name].header
    group = h5[name]
    if verbose:
        print(f"--- {name} (astropy Table.read)")
        table.info()
        print("meta:", dict(table.meta))

    want = spec.get("columns", {})
    want_names = list(want)
    for where, names in (("FITS", table.colnames), ("HDF5", list(group.keys()))):
        if names != want_names:
            err(f"{where} columns {names} != expected {want_names}")
    rows = len(table)
    for ds_name in group:
        if group[ds_name].shape != (rows,):
            err(f"HDF5 column {ds_name} has shape {group[ds_name].shape}, FITS has {rows} rows")
    if "rows" in spec and rows != spec["rows"]:
        err(f"{rows} rows, expected {spec['rows']}")
    if rows < spec.get("min_rows", 0):
        err(f"{rows} rows, expected at least {spec['min_rows']}")

    for i, col in enumerate(table.colnames, start=1):
        if col not in want or col not in group:
            continue
        entry = want[col] if isinstance(want[col], dict) else {"unit": want[col]}
        unit, ds = entry.get("unit", ""), group[col]
        tunit = header.get(f"TUNIT{i}", "")
        if tunit != unit or text(ds.attrs.get("unit", b"?")) != unit:
            err(f"column {col}: units FITS '{tunit}', HDF5 '{text(ds.attrs.get('unit'))}', "
                f"expected '{unit}'")
        try:
            parsed = u.Unit(unit, format="fits") if unit else None
            if table[col].unit != parsed:
                err(f"column {col}: astropy unit {table[col].unit!r} != {parsed!r}")
            if parsed is not None and u.hour in getattr(parsed, "bases", [parsed]):
                print(f"note: {name}.{col}: astropy reads '{unit}' with h = hour "
                      "(FITS units have no little-h)")
        except ValueError as e:
            err(f"column {col}: unit '{unit}' is not a FITS unit astropy parses: {e}")
        types = {dtype_name(table[col].dtype), dtype_name(ds.dtype)}
        if len(types) != 1 or ("dtype" in entry and types != {entry["dtype"]}):
            err(f"column {col}: dtypes FITS {dtype_name(table[col].dtype)}, HDF5 "
                f"{dtype_name(ds.dtype)}, expected {entry.get('dtype', 'equal')}")
        if header.get(f"TCOMM{i}", "") != text(ds.attrs.get("description", b"?")):
            err(f"column {col}: descriptions differ (FITS TCOMM{i} vs HDF5 attribute)")
        if not same_values(table[col], ds[()]):
            err(f"column {col}: FITS and HDF5 values differ")

    if header.get("TABLDESC", "") != text(group.attrs.get("description", b"?")):
        err("table descriptions differ (FITS TABLDESC vs HDF5 attribute)")
    h5_meta = {k: v for k, v in group.attrs.items() if k != "description"}
    fits_names = header.get("METAKEYS", "").split()
    if fits_names != list(h5_meta):
        err(f"metadata names FITS {fits_names} != HDF5 {list(h5_meta)}")
    for key in spec.get("meta", []):
        if key not in h5_meta:
            err(f"metadata {key} is missing")
    for key, value in h5_meta.items():
        fits_value = table.meta.get(key.upper())
        h5_value = text(value) if isinstance(value, bytes) else float(value)
        if isinstance(h5_value, str) != isinstance(fits_value, str) or fits_value != h5_value:
            err(f"metadata {key}: FITS {fits_value!r} != HDF5 {h5_value!r}")
    if not any(e.startswith(f"table {name}:") for e in errors):
        print(f"{name}: {rows} rows, {len(table.colnames)} columns, {len(h5_meta)} metadata: OK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("fits_file")
    parser.add_argument("hdf5_file")
    parser.add_argument("--expect", required=True, help="the JSON spec (see this file's doc)")
    parser.add_argument("--verbose", action="store_true", help="print astropy's table info")
    args = parser.parse_args()
    errors = []
    try:
        with open(args.expect) as f:
            spec = json.load(f)["tables"]
        hdul = fits.open(args.fits_file)
        h5 = h5py.File(args.hdf5_file, "r")
    except (OSError, ValueError, KeyError) as e:
        print(f"check_tables_astropy: cannot read the inputs: {e!r}", file=sys.stderr)
        return 1
    with hdul, h5:
        if hdul[0].header.get("CGFORMAT") != FORMAT:
            errors.append(f"{args.fits_file}: primary CGFORMAT is not '{FORMAT}'")
        if text(h5.attrs.get("format", b"")) != FORMAT:
            errors.append(f"{args.hdf5_file}: root attribute format is not '{FORMAT}'")
        fits_tables = {hdu.name.upper(): hdu.header["EXTNAME"] for hdu in hdul[1:]}
        if hdul[0].header.get("NTABLES") != len(fits_tables):
            errors.append(f"{args.fits_file}: NTABLES != {len(fits_tables)} table HDUs")
        for where, names in (("FITS", sorted(fits_tables.values())), ("HDF5", sorted(h5))):
            if names != sorted(spec):
                errors.append(f"{where} tables {names} != expected {sorted(spec)}")
        for name, table_spec in spec.items():
            if name in fits_tables.values() and name in h5:
                check_table(name, table_spec, args.fits_file, hdul, h5, errors, args.verbose)
    for e in errors:
        print(f"check_tables_astropy: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
