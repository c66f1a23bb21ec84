package plan

// Status is a colour on the battle map.
type Status string

// Statuses, from best to worst as the board counts them.
const (
	Achieved   Status = "achieved"
	OnTrack    Status = "on_track"
	Lagging    Status = "lagging"
	Critical   Status = "critical"
	Missed     Status = "missed"
	NoData     Status = "no_data"
	NotStarted Status = "not_started"
)

// Statuses lists every status in board order.
var Statuses = []Status{Achieved, OnTrack, Lagging, Critical, Missed, NoData, NotStarted}

// Label is the status's Chinese name as the battle map shows it.
func (s Status) Label() string {
	switch s {
	case Achieved:
		return "已完成"
	case OnTrack:
		return "正常推进"
	case Lagging:
		return "进度滞后"
	case Critical:
		return "严重滞后"
	case Missed:
		return "逾期未完成"
	case NoData:
		return "未报送"
	case NotStarted:
		return "未开始"
	}
	return string(s)
}

// Severity orders statuses by how much they call for action: a task shows its worst.
func (s Status) Severity() int {
	switch s {
	case Missed:
		return 6
	case Critical:
		return 5
	case NoData:
		return 4
	case Lagging:
		return 3
	case OnTrack:
		return 2
	case NotStarted:
		return 1
	case Achieved:
		return 0
	}
	return -1
}
