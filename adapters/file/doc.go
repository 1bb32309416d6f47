// Package file is the channel kind `type = "file"`: a sales channel without an
// API, such as a regional marketplace fed by file upload. accord observes the
// channel from an export file the marketplace produces and writes its changes
// to an outbox file that the feed upload sends on. The package owns reading
// the export, writing and reading the outbox and overlaying one on the other;
// getting the files to and from the marketplace is someone else's job.
//
//	channel "regional" {
//	  type       = "file"
//	  sku_column = "regional_sku"
//	  config {
//	    export = "regional-export.csv"          # required
//	    outbox = ".accord/regional-outbox.csv"  # default ".accord/outbox/<channel>.csv"
//	    format = "csv"                          # csv | json | jsonl; default from the export's extension
//	  }
//	}
//
// Relative paths are read from the spec directory. The format of the export
// is taken from its extension (.csv, .json, .jsonl or .ndjson) unless format
// says otherwise; the outbox is CSV when its path ends in .csv and JSON Lines
// when it ends in .jsonl.
//
// # The export
//
// A CSV export has a header row and one row per listing. The column sku (the
// channel's own SKU) is required. quantity (a whole number), price and
// compare_at (decimal amounts such as "12.99", read exactly, never through
// floating point), status and currency have a meaning; every other column is
// a listing field (title, description, gtin...). Those column names are
// matched in any case; a field column keeps its name as written. An empty
// cell is null: the field is absent, there is no compare-at price, the
// quantity is unknown. A UTF-8 byte-order mark is skipped and rows whose
// every cell is empty are ignored.
//
// A JSON export (.json) is an array of objects, a JSON Lines export (.jsonl)
// one object per line (blank lines ignored), each with the keys sku (a
// string), quantity (a whole number), price and compare_at (strings or
// numbers; a number is read from its digits, so 19.99 is exactly 19.99),
// status, currency, and fields: an object of listing fields whose values are
// strings or lists of strings. A list is sorted and joined with ", ", so the
// order the marketplace lists values in is not drift. null, "" and an empty
// list are null. Any other key is an error.
//
// A row whose currency is given and is not the channel's currency is an
// error, as is a price that is not a non-negative decimal amount, a quantity
// that is not a whole number, a row without a SKU and a SKU listed twice.
// Errors are never skipped: Observe fails with the file, the line (and for a
// JSON array the item, counted from 1) and the column or key, for example
//
//	regional-export.csv:14: column "price": "12,99" is not a decimal amount
//
// (up to ten at once). A missing export is not an error: the channel lists
// nothing yet. Observe reads the export afresh on every call, since the
// marketplace replaces it from time to time, and hands the listings over in
// the export's order, at most 10,000 to a page.
//
// # The outbox
//
// Apply appends one row per change to the outbox: in CSV the columns
// sku,field,value,queued_at (the header is written when the file is new), in
// JSON Lines one object {"sku","field","value","queued_at"} per line. field is
// quantity, price, compare_at or a listing field's name; value is the
// canonical text of the value, empty in CSV (null in JSON) for null; queued_at
// is the time of the Apply call in RFC 3339, UTC, with nanoseconds. A batch is
// written at once and synced to disk before Apply returns; when that fails,
// every change of the batch fails with a *adapters.TemporaryError. The outbox's
// directory is created as needed.
//
// A file channel cannot create a listing: a change of the whole listing
// (adapters.FieldListing) is refused with an *adapters.RejectedError and
// nothing is written for it. The marketplace's catalogue is maintained there.
//
// # What the channel holds: the export with the outbox over it
//
// Until the marketplace has taken an upload, its export still shows the old
// values. So that a second plan right after an apply does not propose the same
// changes again, Observe overlays the pending outbox rows on the export:
//
//   - A row queued after the export file was last modified (its queued_at is
//     later than the export's modification time) is pending: the export cannot
//     reflect it yet, so its value wins over the export's. Of several pending
//     rows for one SKU and field the latest wins.
//   - A row queued at or before the export's modification time is taken as
//     delivered: the marketplace's export is the truth, whatever it shows.
//
// So once a fresh export arrives it is authoritative, and a change that the
// marketplace did not take shows up again as drift. Rows for quantity, price
// and compare_at set those values; any other field name sets (or, with a null
// value, removes) that listing field. The overlay never adds a listing the
// export does not have. The outbox may be emptied or removed once it has been
// uploaded; rows already delivered are ignored anyway. A marketplace whose
// export file keeps the time it was produced, rather than the time it was
// copied into place, suits the rule best.
//
// # Limits
//
// Files have no rate limit: Limits reports pages and batches of 10,000, rate
// rate.Inf, no compare-and-set of quantities (a sale between export and
// upload is not detected) and no creation of listings.
package file
