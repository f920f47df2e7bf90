// Validates GeoJSON files as RFC 7946 with @placemarkio/check-geojson; prints one line per file, exits 1 on any invalid.
const { check } = require('@placemarkio/check-geojson');
const fs = require('fs');
for (const file of process.argv.slice(2)) {
  try {
    check(fs.readFileSync(file, 'utf8'));
    console.log(`${file}: valid`);
  } catch (e) {
    console.log(`${file}: INVALID ${JSON.stringify(e.issues ? e.issues.slice(0, 5) : e.message)}`);
    process.exitCode = 1;
  }
}
