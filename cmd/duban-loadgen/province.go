package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// shape is the size of a synthetic province: how many units of each level and
// how many indicators each level reports.
type shape struct {
	Cities, Counties, Towns, Villages int
	CityIndicators                    int // filed by every city, its own figure
	CountyIndicators                  int // filed by every county, its own figure
	VillageIndicators                 int // filed by every town, one row per village of its own
	Departments                       int // provincial departments, each leading milestones
	Seed                              uint64
}

// province is the default shape: 21 cities, about 120 counties, about 1,600
// towns and about 20,000 villages, several hundred indicators.
var province = shape{Cities: 21, Counties: 120, Towns: 1600, Villages: 20000,
	CityIndicators: 200, CountyIndicators: 100, VillageIndicators: 4, Departments: 30, Seed: 1}

// Regions counts the region units: cities, counties, towns and villages.
func (s shape) Regions() int { return s.Cities + s.Counties + s.Towns + s.Villages }

// The plan: five years, reported monthly.
const (
	planID        = "province-bench"
	planStart     = "2021-01-01"
	planEnd       = "2025-12-31"
	firstYear     = 2021
	years         = 5
	broadbandID   = "broadband-village-coverage"
	broadbandDept = "tongxin"
	broadbandName = "省通信管理局"
)

// The 21 prefecture-level cities of the province the plan imitates.
var cityNames = []string{"广州市", "深圳市", "珠海市", "汕头市", "佛山市", "韶关市", "河源市", "梅州市", "惠州市", "汕尾市",
	"东莞市", "中山市", "江门市", "阳江市", "湛江市", "茂名市", "肇庆市", "清远市", "潮州市", "揭阳市", "云浮市"}

// syllables make place names, unique by construction.
var syllables = []rune("安宁东山石桥新田龙岗平沙白云青溪黄坑凤凰金鸡松林梅花竹园莲塘高埔下围上洞大坪长乐和顺双河古城")

// name spells i in base len(syllables) with n syllables.
func name(i, n int) string {
	out := make([]rune, n)
	for k := n - 1; k >= 0; k-- {
		out[k] = syllables[i%len(syllables)]
		i /= len(syllables)
	}
	return string(out)
}

// unitRef is a generated region: id, name and parent id.
type unitRef struct {
	ID, Name, Parent, Stem string
}

// regions are the province's regions, level by level.
type regions struct {
	Cities, Counties, Towns, Villages []unitRef
}

// All lists every region, cities first.
func (r regions) All() []unitRef {
	out := make([]unitRef, 0, len(r.Cities)+len(r.Counties)+len(r.Towns)+len(r.Villages))
	out = append(out, r.Cities...)
	out = append(out, r.Counties...)
	out = append(out, r.Towns...)
	return append(out, r.Villages...)
}

// spread puts n children under parents, evenly and in order.
func spread(parents []unitRef, n int, child func(i, k int, p unitRef) unitRef) []unitRef {
	out := make([]unitRef, 0, n)
	k := 0
	for i := range n {
		p := parents[i*len(parents)/n]
		if len(out) == 0 || out[len(out)-1].Parent != p.ID {
			k = 0
		}
		k++
		u := child(i, k, p)
		u.Parent = p.ID
		out = append(out, u)
	}
	return out
}

func (s shape) regions() regions {
	var r regions
	for i := range s.Cities {
		n := fmt.Sprintf("第%d市", i+1)
		if i < len(cityNames) {
			n = cityNames[i]
		}
		r.Cities = append(r.Cities, unitRef{ID: fmt.Sprintf("c%02d", i+1), Name: n})
	}
	if s.Counties > 0 {
		r.Counties = spread(r.Cities, s.Counties, func(i, k int, p unitRef) unitRef {
			stem := name(i, 2)
			return unitRef{ID: fmt.Sprintf("%s-k%02d", p.ID, k), Name: stem + "县", Stem: stem}
		})
	}
	if s.Towns > 0 {
		r.Towns = spread(r.Counties, s.Towns, func(_, k int, p unitRef) unitRef {
			stem := p.Stem + name(k, 2)
			return unitRef{ID: fmt.Sprintf("%s-t%02d", p.ID, k), Name: stem + "镇", Stem: stem}
		})
	}
	if s.Villages > 0 {
		r.Villages = spread(r.Towns, s.Villages, func(_, k int, p unitRef) unitRef {
			return unitRef{ID: fmt.Sprintf("%s-v%03d", p.ID, k), Name: p.Stem + name(k, 2) + "村"}
		})
	}
	return r
}

// indicatorSpec is one generated indicator.
type indicatorSpec struct {
	ID, Task, Name, Measure, Kind string
	Level                         string  // city | county | village | broadband
	Target, Baseline              float64 // the plan-wide target (fractions for ratio and coverage)
}

// kinds cycle through what figures the levels report.
var kinds = []string{"level", "cumulative", "ratio", "count", "coverage"}

func (s shape) indicators() []indicatorSpec {
	var out []indicatorSpec
	add := func(level string, n int, perUnit int) {
		for i := range n {
			kind := kinds[i%len(kinds)]
			spec := indicatorSpec{
				ID: fmt.Sprintf("%s-%03d", level, i+1), Task: fmt.Sprintf("%d.%d", len(out)/10+1, len(out)%10+1),
				Name: fmt.Sprintf("%s指标%d", map[string]string{"city": "地市", "county": "县区", "village": "行政村"}[level], i+1),
				Kind: kind, Level: level,
			}
			switch kind {
			case "level":
				spec.Measure, spec.Baseline, spec.Target = "个", 100*float64(perUnit), 200*float64(perUnit)
			case "cumulative":
				spec.Measure, spec.Target = "人次", 60000*float64(perUnit)
			case "ratio":
				spec.Measure, spec.Baseline, spec.Target = "%", 0.5, 0.9
			case "count":
				spec.Measure, spec.Target = "家", 3*float64(perUnit)
			case "coverage":
				spec.Measure, spec.Baseline, spec.Target = "个", 0.6, 1
			}
			out = append(out, spec)
		}
	}
	add("city", s.CityIndicators, max(1, s.Cities))
	add("county", s.CountyIndicators, max(1, s.Counties))
	add("village", s.VillageIndicators, max(1, s.Villages))
	out = append(out, indicatorSpec{ID: broadbandID, Task: "99.1", Name: "20户以上自然村光纤网络通达率", Measure: "户",
		Kind: "coverage", Level: "broadband", Baseline: 0.8, Target: 1})
	return out
}

// writePlan writes the province's rule files into dir.
func writePlan(dir string, s shape) error {
	if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	files := map[string]func(w *bufio.Writer){
		"plan.yaml":        func(w *bufio.Writer) { writePlanFile(w) },
		"calendar.yaml":    func(w *bufio.Writer) { writeCalendar(w) },
		"units.yaml":       func(w *bufio.Writer) { writeUnits(w, s) },
		"tasks/tasks.yaml": func(w *bufio.Writer) { writeTasks(w, s) },
	}
	for name, write := range files {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("write plan: %w", err)
		}
		w := bufio.NewWriterSize(f, 1<<16)
		write(w)
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("write plan %s: %w", name, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("write plan %s: %w", name, err)
		}
	}
	return nil
}

func writePlanFile(w *bufio.Writer) {
	fmt.Fprintf(w, `apiVersion: duban/v1
kind: Plan
id: %s
title: 示例省数字政府改革建设"十四五"规划(基准测试)
document: 由 duban-loadgen 生成的合成规划,仅用于测量
start: %s
end: %s
timezone: Asia/Shanghai
report:
  frequency: monthly
  due_workdays: 5
`, planID, planStart, planEnd)
}

func writeCalendar(w *bufio.Writer) {
	fmt.Fprintf(w, "apiVersion: duban/v1\nkind: Calendar\nfrom: %s\nto: %d-01-31\nholidays:\n", planStart, firstYear+years)
	for y := firstYear; y <= firstYear+years; y++ {
		fmt.Fprintf(w, "  - {from: %d-01-01, to: %d-01-01, name: 元旦}\n", y, y)
		if y < firstYear+years {
			fmt.Fprintf(w, "  - {from: %d-10-01, to: %d-10-07, name: 国庆节}\n", y, y)
		}
	}
}

func writeUnits(w *bufio.Writer, s shape) {
	r := s.regions()
	w.WriteString("apiVersion: duban/v1\nkind: Units\nunits:\n")
	fmt.Fprintf(w, "  - {id: %s, name: %s, kind: department}\n", broadbandDept, broadbandName)
	for i := range s.Departments {
		fmt.Fprintf(w, "  - {id: dept%02d, name: 省直部门%d, kind: department}\n", i+1, i+1)
	}
	level := func(units []unitRef) {
		for _, u := range units {
			if u.Parent == "" {
				fmt.Fprintf(w, "  - {id: %s, name: %s, kind: region}\n", u.ID, u.Name)
			} else {
				fmt.Fprintf(w, "  - {id: %s, name: %s, kind: region, parent: %s}\n", u.ID, u.Name, u.Parent)
			}
		}
	}
	level(r.Cities)
	level(r.Counties)
	level(r.Towns)
	level(r.Villages)
	group := func(id, name string, units []unitRef) {
		if len(units) == 0 {
			return
		}
		fmt.Fprintf(w, "  - id: %s\n    name: %s\n    kind: group\n    members: [", id, name)
		for i, u := range units {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(u.ID)
		}
		w.WriteString("]\n")
	}
	group("cities", "各地级市", r.Cities)
	group("counties", "各县(市、区)", r.Counties)
	group("towns", "各镇(街道)", r.Towns)
}

func writeTasks(w *bufio.Writer, s shape) {
	w.WriteString("apiVersion: duban/v1\nkind: Tasks\npart: 一、合成任务\ntasks:\n")
	inds := s.indicators()
	for i := 0; i < len(inds); {
		task := inds[i].Task
		task = task[:strings.IndexByte(task, '.')]
		fmt.Fprintf(w, "  - id: %q\n    section: (%s)合成任务\n    title: 合成任务%s\n", task, task, task)
		lead := fmt.Sprintf("dept%02d", (i/10)%max(1, s.Departments)+1)
		if inds[i].Level == "broadband" || s.Departments == 0 {
			lead = broadbandDept
		}
		fmt.Fprintf(w, "    lead: [%s]\n    indicators:\n", lead)
		for ; i < len(inds) && strings.HasPrefix(inds[i].Task, task+"."); i++ {
			writeIndicator(w, inds[i])
		}
		fmt.Fprintf(w, "    milestones:\n      - {id: %s-plan, deliverable: 出台合成任务%s实施方案, due: %d-06-30}\n", task, task, firstYear+1)
	}
}

func writeIndicator(w *bufio.Writer, ind indicatorSpec) {
	reporter, rows := map[string]string{"city": "cities", "county": "counties", "village": "towns", "broadband": broadbandDept}[ind.Level], "reporter"
	if ind.Level == "village" || ind.Level == "broadband" {
		rows = "regions"
	}
	comparator := ">="
	if ind.Kind == "cumulative" {
		comparator = ">"
	}
	fmt.Fprintf(w, "      - id: %s\n        name: %s\n        measure: %q\n        kind: %s\n        comparator: %q\n        target: %s\n        baseline: %s\n        reported_by: %s\n        rows: %s\n",
		ind.ID, ind.Name, ind.Measure, ind.Kind, comparator, num(ind.Target), num(ind.Baseline), reporter, rows)
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%g", v)
}

// rng is the generator's one source of randomness: the same seed, the same files.
func rng(seed uint64, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
