// Package evaluate is duban's evaluator: a pure function of a plan, the
// observations reported against it and an as-of instant, giving for every
// indicator and milestone a status and a sentence that says why. It reads no
// clock, touches no database and does no I/O, so a status can always be
// worked out again and explained.
//
// The rules are those of rules/README.md ("How a status is worked out" and
// the table of kinds). Where that text leaves a choice open, this package
// decides as follows.
//
// # Periods and observations
//
//   - An indicator's figures are read month by month from the month of its
//     start date to the month of its due date. An observation for a period
//     outside that range, for a period that has not ended by the as-of
//     instant, or about a unit that is not one of the indicator's row units
//     is not read. A quarterly period is the month it is named by.
//   - A period has ended at the first instant after its last day; a report
//     falls due at the end of its due day, so at that very instant it is due.
//   - Of several observations for the same indicator, unit and period, the
//     last one given wins, separately for the value, the running total and
//     the numerator-and-denominator pair. Lead-time records all count.
//   - An observation set aside as an anomaly is not used at all: not for the
//     figure, not for P, and not as the report that keeps a unit from no_data.
//
// # Kinds
//
//   - cumulative: a unit's figure is its share of the baseline plus the sum of
//     its increments (with baseline 0, as in every cumulative target of the
//     Zhaoqing plan, that is the sum of the increments); the city's is the
//     baseline plus all increments. A running total (Total, where Value is
//     absent) counts from the start, without the baseline: its increment is
//     the total less the sum of the increments used before it, so a month
//     left out is made up by the next total.
//   - level and count read Total where Value is absent.
//   - ratio and coverage: a numerator and denominator win over a bare value
//     for the same period. A bare value stands for the city only when its row
//     is the one row with a figure; otherwise it is left out of the city's
//     Σ numerators / Σ denominators. A denominator of 0 gives no figure.
//     Negative numerators or denominators are negative_value anomalies; a
//     numerator above its denominator (or a bare value above 1) is
//     ratio_above_one.
//   - lead_time: a record's connected date counts only once it is on or before
//     the as-of day (the day the as-of instant falls in; the end of a day
//     belongs to that day); until then the record is pending. A pending record
//     is late once more than the limit of working days lie after the request
//     up to the as-of day. A record whose working days the calendar cannot
//     count is left out. When every record is left out there is no figure:
//     the status is on_track (or missed), since the unit did report.
//   - A unit's target for level, cumulative and count with several row units is
//     its unit_targets entry, else the target in equal parts; the high end of
//     a between range is scaled by the same share; the baseline is always
//     shared in equal parts.
//
// # Status
//
//   - A progress ratio is held against the thresholds with a tolerance of
//     1e-9, so that 95 of 100 computed through a trajectory is still exactly
//     0.95. An indicator with no thresholds of its own uses the plan's.
//   - A lead-time share is a standard to hold all year: meeting it before the
//     due date is on_track, and only a share still met once the due date has
//     passed is achieved. Other kinds are achieved as soon as their target is met.
//   - An indicator with a usable report but no figure yet (every lead-time
//     record pending) is on_track: there is nothing to judge it on.
//   - The city figure lists in Missing the units whose latest due report did
//     not come whatever its status; the reason names them unless the status
//     is no_data, which names them itself.
//   - The forecast is B + (actual − B)/s with s the elapsed share of
//     [start, due] at the end of P (not the checkpoint share); a fraction's
//     forecast is kept within [0, 1]; where the target equals the baseline
//     (a standard held from the first day, such as every request within 3
//     working days) the forecast is the actual. needed_per_period aims at
//     the low end of a between range, or at its high end when the actual is
//     above it; it is negative when the figure must come down. Both are set
//     whenever an indicator with a figure is not achieved; remaining periods
//     count the report schedule's periods after P. A missed indicator's
//     reason leaves them out: its due date has passed.
//
// # Milestones
//
//   - A report belongs to its period, or, without one, to the month of its
//     date; a report with neither, or without a state, is not read. A report
//     with a date is known from that date on; one without a date once its
//     period has ended. A unit's latest report is the one of the latest
//     period (the last given among equals).
//   - A unit whose latest report is done has reported for every later period.
//   - With one lead unit the city figure is that unit's report. With several
//     the city state is done when every lead's latest report is done (its
//     date the latest of theirs), in_progress when any lead has moved,
//     not_started when the leads that reported have not; the reason then
//     says where each lead stands, and the evidence is every lead's, joined
//     with ";". The city is no_data only when no lead reported for the
//     latest period due.
//   - Days left and overdue count calendar days from the as-of day to the due
//     date.
package evaluate
