package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Limits on what a submitted file may unpack to. A real workbook of a
// hundred thousand rows unpacks to some tens of megabytes at a ratio of ten
// or twenty to one; a zip bomb declares gigabytes in a small file.
const (
	DefaultMaxBytes  = 20 << 20  // the largest file accepted
	maxUnpacked      = 256 << 20 // the most all entries together may declare
	maxRatio         = 100       // declared size over file size, once past ratioFloor
	ratioFloor       = 16 << 20
	maxEntries       = 5000
	xmlInMemoryLimit = 4 << 20 // worksheets above this are streamed from a temporary file
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	// An encrypted .xlsx is an OLE compound file holding an EncryptionInfo stream.
	encryptionInfo = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")
)

// sheetEntry is one sheet of a workbook as workbook.xml lists it.
type sheetEntry struct {
	Name   string
	State  string // "", "hidden" or "veryHidden"
	Part   string // the zip entry of its XML, e.g. xl/worksheets/sheet2.xml
	Hidden bool
}

// archive is what the pre-scan learnt about a workbook before excelize opens it.
type archive struct {
	Sheets   []sheetEntry
	Date1904 bool
	Unpacked int64 // total declared size of the entries
}

// fileProblem is a reason the file as a whole cannot be read.
type fileProblem struct {
	code, msg string
}

func (e *fileProblem) Error() string { return e.msg }

// sniff looks at the first bytes: a zip (what .xlsx is), an OLE compound
// file (legacy .xls, or an encrypted .xlsx), or something else.
func sniff(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return nil
	case bytes.Equal(head, oleMagic):
		buf := make([]byte, 1<<20)
		n, _ := io.ReadFull(io.MultiReader(bytes.NewReader(head), f), buf)
		if bytes.Contains(buf[:n], encryptionInfo) {
			return &fileProblem{"format-error", "文件设置了打开密码(已加密),系统无法读取:请在 Excel 中取消密码(文件→信息→保护工作簿→用密码进行加密,清空密码),另存为 .xlsx 后重新上传"}
		}
		return &fileProblem{"format-error", "文件是旧版 Excel 97-2003 格式(.xls),系统只读取 .xlsx:请在 Excel 中“另存为”Excel 工作簿(*.xlsx)后重新上传"}
	case n == 0:
		return &fileProblem{"format-error", "文件是空的(0 字节)"}
	}
	return &fileProblem{"format-error", "文件不是 Excel 工作簿(.xlsx):请使用下发的模板,或在 Excel 中另存为 .xlsx 后重新上传"}
}

// scan reads the zip directory and the workbook's sheet list without
// unpacking anything large, and refuses archives whose declared size is out of
// proportion to the file (zip bombs) before any of it is inflated.
func scan(name string, size int64) (*archive, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, &fileProblem{"format-error", "文件已损坏,不是完整的 Excel 工作簿(.xlsx),无法解压:请用 Excel 打开后另存为 .xlsx 再上传"}
	}
	defer zr.Close()
	if len(zr.File) > maxEntries {
		return nil, &fileProblem{"compression-error", fmt.Sprintf("文件内含 %d 个压缩条目,超过上限 %d,不像正常的 Excel 工作簿", len(zr.File), maxEntries)}
	}
	a := &archive{}
	entries := map[string]*zip.File{}
	for _, zf := range zr.File {
		a.Unpacked += int64(min(zf.UncompressedSize64, 1<<62))
		entries[strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))] = zf
	}
	if a.Unpacked > maxUnpacked || (a.Unpacked > ratioFloor && a.Unpacked/max(size, 1) > maxRatio) {
		return nil, &fileProblem{"compression-error", fmt.Sprintf("文件只有 %s,解压后却声称有 %s,压缩比异常(疑似“压缩炸弹”),拒绝读取", humanBytes(size), humanBytes(a.Unpacked))}
	}
	wb, ok := entries["xl/workbook.xml"]
	if !ok {
		return nil, &fileProblem{"format-error", "文件缺少工作簿内容(xl/workbook.xml),不是有效的 .xlsx:请用 Excel 打开后另存为 .xlsx 再上传"}
	}
	var book struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			RID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodeEntry(wb, &book); err != nil {
		return nil, &fileProblem{"format-error", "工作簿目录(xl/workbook.xml)无法解析,文件可能已损坏"}
	}
	a.Date1904 = book.Pr.Date1904 == "1" || book.Pr.Date1904 == "true"
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if zf, ok := entries["xl/_rels/workbook.xml.rels"]; ok {
		if err := decodeEntry(zf, &rels); err != nil {
			return nil, &fileProblem{"format-error", "工作簿关系表(workbook.xml.rels)无法解析,文件可能已损坏"}
		}
	}
	targets := map[string]string{}
	for _, r := range rels.Rel {
		t := strings.ReplaceAll(r.Target, "\\", "/")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	for _, s := range book.Sheets {
		a.Sheets = append(a.Sheets, sheetEntry{Name: s.Name, State: s.State, Part: targets[s.RID], Hidden: s.State == "hidden" || s.State == "veryHidden"})
	}
	return a, nil
}

func decodeEntry(zf *zip.File, v any) error {
	if zf.UncompressedSize64 > 32<<20 {
		return fmt.Errorf("%s too large", zf.Name)
	}
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 32<<20)).Decode(v)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}
