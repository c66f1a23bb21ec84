package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

func (s *Server) handleListSubmissions(c *fiber.Ctx) error {
	p := s.Plans.Plan()
	asOf, err := s.asOf(c, p)
	if err != nil {
		return err
	}
	who := principal(c)
	unitID := ""
	if q := c.Query("unit"); q != "" {
		u, err := unit(p, q)
		if err != nil {
			return err
		}
		unitID = u.ID
	}
	if who.Role == Reporter {
		if unitID != "" {
			if err := ownUnit(who, unitID); err != nil {
				return err
			}
		}
		unitID = who.Unit
	}
	outcome := plan.Outcome(c.Query("outcome"))
	if outcome != "" && outcome != plan.Accepted && outcome != plan.Rejected {
		return plan.Errorf(plan.EINVALID, "outcome 参数「%s」无效,应为 accepted 或 rejected", outcome)
	}
	var period plan.Period
	if q := c.Query("period"); q != "" {
		if period, err = plan.ParsePeriod(q); err != nil {
			return plan.Errorf(plan.EINVALID, "period 参数「%s」不是有效报送期,应为 YYYY-MM", q)
		}
	}
	all, err := s.submissions(c.UserContext(), p, asOf, unitID)
	if err != nil {
		return err
	}
	out := all[:0]
	for _, sub := range all {
		if (outcome == "" || sub.Outcome == outcome) && (period.IsZero() || sub.Period == period) {
			sub.RawPath = "" // where the server keeps files is its own business
			out = append(out, sub)
		}
	}
	pg, err := paginate(c, out)
	if err != nil {
		return err
	}
	return c.JSON(pg)
}

func (s *Server) handleGetSubmission(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return plan.Errorf(plan.EINVALID, "报送编号「%s」无效", c.Params("id"))
	}
	sub, err := s.DB.Submission(c.UserContext(), id)
	if err != nil {
		return err
	}
	if sub.PlanID != s.Plans.Plan().ID {
		return plan.Errorf(plan.ENOTFOUND, "报送记录 %d 不存在", id)
	}
	if err := ownUnit(principal(c), sub.Unit); err != nil {
		return err
	}
	sub.RawPath = ""
	return c.JSON(sub)
}

// handleUpload takes one workbook (multipart field file, optional field unit)
// and ingests it: 201 with the submission when accepted, 422 with it and its
// errors when rejected, 200 with the earlier one when the same bytes come
// again. A reporter uploads only for its own unit.
func (s *Server) handleUpload(c *fiber.Ctx) error {
	if s.Ingest == nil {
		return fmt.Errorf("upload: no ingest configured")
	}
	p, who, ctx := s.Plans.Plan(), principal(c), c.UserContext()
	fh, err := c.FormFile("file")
	if err != nil {
		return plan.Errorf(plan.EINVALID, "请以 multipart/form-data 上传文件,字段名为 file")
	}
	name := string([]byte(fh.Filename))
	setAudit(c, "", name)
	if fh.Size > s.MaxUpload {
		s.Metrics.ObserveIngest("upload", "too_large")
		return plan.Errorf(plan.ETOOLARGE, "文件「%s」大小 %d 字节,超过上限 %d 字节", name, fh.Size, s.MaxUpload)
	}
	unitID := ""
	if ref := strings.TrimSpace(c.FormValue("unit")); ref != "" {
		u, err := unit(p, ref)
		if err != nil {
			return plan.Errorf(plan.EINVALID, "单位「%s」不存在", ref)
		}
		unitID = u.ID
	}
	if who.Role == Reporter {
		if unitID != "" {
			if err := ownUnit(who, unitID); err != nil {
				return err
			}
		}
		unitID = who.Unit
	}

	path, sha, err := s.saveUpload(fh)
	if err != nil {
		return err
	}
	defer os.Remove(path)

	if earlier, err := s.DB.SubmissionBySHA(ctx, p.ID, sha); err == nil {
		if err := ownUnit(who, earlier.Unit); err != nil {
			return err
		}
		s.Metrics.ObserveIngest("upload", "duplicate")
		setAudit(c, strconv.FormatInt(earlier.ID, 10), name+" duplicate")
		earlier.RawPath = ""
		return c.Status(http.StatusOK).JSON(earlier)
	} else if plan.ErrorCode(err) != plan.ENOTFOUND {
		return err
	}

	if who.Role == Reporter && s.FileUnit != nil {
		// Refuse another unit's file before anything of it is recorded.
		if fileUnit, err := s.FileUnit(ctx, p, path); err == nil && fileUnit != "" && fileUnit != who.Unit {
			setAudit(c, "", fmt.Sprintf("%s for %s", name, fileUnit))
			return plan.Errorf(plan.EFORBIDDEN, "无权限:文件「%s」是「%s」的报表,填报员只能报送本单位(%s)的数据",
				name, p.UnitName(fileUnit), p.UnitName(who.Unit))
		}
	}
	sub, err := s.Ingest(ctx, p, path, Upload{Unit: unitID, Submitter: who.Name, FileName: name, Now: s.Now(), MaxBytes: s.MaxUpload})
	s.stamps.clear() // the next read sees this submission
	if err != nil {
		s.Metrics.ObserveIngest("upload", "error")
		return err
	}
	setAudit(c, strconv.FormatInt(sub.ID, 10), fmt.Sprintf("%s %s %s %s", name, sub.Unit, sub.Period, sub.Outcome))
	s.Metrics.ObserveIngest("upload", string(sub.Outcome))
	sub.RawPath = ""
	if who.Role == Reporter && sub.Unit != "" && sub.Unit != who.Unit {
		return ownUnit(who, sub.Unit)
	}
	if sub.Outcome == plan.Accepted {
		return c.Status(http.StatusCreated).JSON(sub)
	}
	return c.Status(http.StatusUnprocessableEntity).JSON(sub)
}

// saveUpload copies an uploaded file to a temporary file of its own and
// returns its path and SHA-256.
func (s *Server) saveUpload(fh *multipart.FileHeader) (string, string, error) {
	src, err := fh.Open()
	if err != nil {
		return "", "", plan.Errorf(plan.EINVALID, "无法读取上传的文件:%v", err)
	}
	defer src.Close()
	dir := s.UploadDir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", "", fmt.Errorf("upload folder: %w", err)
		}
	}
	dst, err := os.CreateTemp(dir, "upload-*.xlsx")
	if err != nil {
		return "", "", fmt.Errorf("save upload: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(dst, h), io.LimitReader(src, s.MaxUpload+1))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", "", fmt.Errorf("save upload: %w", err)
	}
	return dst.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// handleGetTemplate writes a unit's Excel template; ?period= pre-fills the
// period (default: the month before as-of). A reporter gets only its own.
func (s *Server) handleGetTemplate(c *fiber.Ctx) error {
	if s.Template == nil {
		return fmt.Errorf("template: no template writer configured")
	}
	ref, err := param(c, "unit")
	if err != nil {
		return err
	}
	p := s.Plans.Plan()
	u, err := unit(p, ref)
	if err != nil {
		return err
	}
	if err := ownUnit(principal(c), u.ID); err != nil {
		return err
	}
	var per plan.Period
	if q := c.Query("period"); q != "" {
		if per, err = plan.ParsePeriod(q); err != nil {
			return plan.Errorf(plan.EINVALID, "period 参数「%s」不是有效报送期,应为 YYYY-MM", q)
		}
	} else {
		per = plan.PeriodOf(plan.DateOf(s.Now().In(p.Location))).AddMonths(-1)
	}
	var buf bytes.Buffer
	if err := s.Template(p, u.ID, per, &buf); err != nil {
		return err
	}
	return sendXLSX(c, fmt.Sprintf("%s-%s-%s.xlsx", u.Name, per, "报送模板"), buf.Bytes())
}

// sendXLSX answers with a workbook as a download named name.
func sendXLSX(c *fiber.Ctx, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="duban.xlsx"; filename*=UTF-8''%s`,
		url.PathEscape(name)))
	return c.Send(body)
}
