package plan

// Observation is one reported figure: an indicator's value for a unit and
// period, a numerator and denominator, one lead-time record, or a milestone's state.
type Observation struct {
	Indicator string   `json:"indicator,omitempty"`
	Milestone string   `json:"milestone,omitempty"`
	Unit      string   `json:"unit"` // unit id
	Period    Period   `json:"period"`
	Value     *float64 `json:"value,omitempty"`
	// Total is a cumulative indicator's running total as reported; where Value is
	// absent the period's increment is Total less the previous period's Total.
	Total       *float64 `json:"total,omitempty"`
	Numerator   *float64 `json:"numerator,omitempty"`
	Denominator *float64 `json:"denominator,omitempty"`
	// A lead-time record: when a request came in and when it was served.
	Requested Date `json:"requested,omitzero"`
	Connected Date `json:"connected,omitzero"`
	// A milestone report.
	State    MilestoneState `json:"state,omitempty"`
	Date     Date           `json:"date,omitzero"`
	Evidence string         `json:"evidence,omitempty"`
	// Submission is the id of the submission it came in, if any.
	Submission string `json:"submission,omitempty"`
}

// Subject is the indicator or milestone id the observation is about.
func (o Observation) Subject() string {
	if o.Milestone != "" {
		return o.Milestone
	}
	return o.Indicator
}
