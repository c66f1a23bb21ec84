// Parse a workbook with SheetJS, as make bench compares it with duban's
// ingest: the whole file read and parsed, every cell of every sheet.
const XLSX = require("xlsx");
const wb = XLSX.readFile(process.argv[2]);
const ws = wb.Sheets[wb.SheetNames[0]];
const range = XLSX.utils.decode_range(ws["!ref"]);
console.log(`${range.e.r + 1} rows`);
