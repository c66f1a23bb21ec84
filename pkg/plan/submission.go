package plan

import "time"

// Outcome is what became of a submission.
type Outcome string

// Submission outcomes.
const (
	Accepted Outcome = "accepted"
	Rejected Outcome = "rejected"
)

// Submission (报送) is one file a unit sent in: who, when, what, and what became of it.
// The same bytes sent twice are one submission.
type Submission struct {
	ID              int64       `json:"id"`
	SHA256          string      `json:"sha256"`
	PlanID          string      `json:"plan"`
	Unit            string      `json:"unit"` // unit id, once known
	Submitter       string      `json:"submitter,omitempty"`
	Source          string      `json:"source"` // upload | inbox | cli
	FileName        string      `json:"file_name"`
	Size            int64       `json:"size"`
	ReceivedAt      time.Time   `json:"received_at"`
	TemplateID      string      `json:"template_id,omitempty"`
	TemplateVersion int         `json:"template_version,omitempty"`
	Period          Period      `json:"period,omitzero"`
	Outcome         Outcome     `json:"outcome"`
	Errors          []CellError `json:"errors"`
	Warnings        []CellError `json:"warnings"`
	Observations    int         `json:"observations"`
	RawPath         string      `json:"raw_path,omitempty"`
}

// CellError is one problem found in a submitted file, named by sheet and cell,
// with a machine-readable code from the Frictionless Data vocabulary
// (type-error, constraint-error, missing-cell, duplicate-row, blank-header,
// format-error …) and a message a clerk can read.
type CellError struct {
	Code     string `json:"code"`
	Sheet    string `json:"sheet,omitempty"`
	Cell     string `json:"cell,omitempty"` // e.g. C7
	Row      int    `json:"row,omitempty"`
	Value    string `json:"value,omitempty"`    // what was found
	Expected string `json:"expected,omitempty"` // what was expected
	Message  string `json:"message"`            // in Chinese
}

func (e CellError) Error() string {
	where := e.Sheet
	if e.Cell != "" {
		where += "!" + e.Cell
	}
	if where == "" {
		return e.Code + ": " + e.Message
	}
	return where + ": " + e.Code + ": " + e.Message
}
