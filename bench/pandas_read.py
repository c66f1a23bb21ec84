"""Read a workbook's first sheet with pandas.read_excel (openpyxl underneath),
as make bench compares it with duban's ingest: every row, header on row 3."""
import sys

import pandas

frame = pandas.read_excel(sys.argv[1], sheet_name=0, header=2)
print(f"{len(frame)} rows")
