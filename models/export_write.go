package models

import (
	"archive/zip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Export formats.
const (
	FormatJSON = "json"
	FormatCSV  = "csv"
	FormatZIP  = "zip"
)

// ExportTables names the CSV tables of an export, in the order the ZIP
// holds them. Every row ends with a licence column, so a CSV file keeps
// its licence when it travels alone.
var ExportTables = []string{
	"proposals", "debates", "debate_options", "debate_instances", "debate_receipts",
	"petitions", "petition_milestones", "petition_signers", "petition_updates", "comments",
}

// WriteJSON writes the export as one indented JSON document.
func (e *Export) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(e); err != nil {
		return fmt.Errorf("write export json: %w", err)
	}
	return nil
}

// WriteCSV writes one table (see ExportTables) as RFC 4180 CSV with a
// header line, every cell passed through CSVSafe (the JSON export keeps
// texts exactly). An unknown table is a *ValidationError.
func (e *Export) WriteCSV(w io.Writer, table string) error {
	header, rows, ok := e.table(table)
	if !ok {
		return Invalid("table", "must be one of "+strings.Join(ExportTables, ", "))
	}
	cw := csv.NewWriter(w)
	cw.Write(append(header, "licence")) //nolint:errcheck // checked by Flush/Error
	for _, r := range rows {
		for i := range r {
			r[i] = CSVSafe(r[i])
		}
		cw.Write(append(r, e.Licence.ID)) //nolint:errcheck // checked by Flush/Error
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write export csv: %w", err)
	}
	return nil
}

// CSVSafe defuses spreadsheet formula injection (CWE-1236): a cell that
// starts with = + - @, a tab or a carriage return is run as a formula by
// Excel or LibreOffice when the file is opened, so it gets a leading
// apostrophe, which spreadsheets show as text. Every CSV odn writes with
// text people chose goes through it.
func CSVSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteZIP writes everything in one archive: export.json, one CSV per
// table, a Frictionless datapackage.json and a README stating the licence.
func (e *Export) WriteZIP(w io.Writer) error {
	zw := zip.NewWriter(w)
	add := func(name string, fill func(io.Writer) error) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: e.ExportedAt})
		if err != nil {
			return fmt.Errorf("write export zip: %w", err)
		}
		return fill(f)
	}
	if err := add("README.txt", func(w io.Writer) error { _, err := io.WriteString(w, e.readme()); return err }); err != nil {
		return err
	}
	if err := add("datapackage.json", e.writeDataPackage); err != nil {
		return err
	}
	if err := add("export.json", e.WriteJSON); err != nil {
		return err
	}
	for _, t := range ExportTables {
		if err := add(t+".csv", func(w io.Writer) error { return e.WriteCSV(w, t) }); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write export zip: %w", err)
	}
	return nil
}

// FileName is a download name for the export in format ("csv" needs the
// table): space[-kind-id]-YYYYMMDD[-table].ext.
func (e *Export) FileName(q ExportQuery, format, table string) string {
	name := e.Space.Name
	if q.Kind != "" {
		name += "-" + q.Kind + "-" + strconv.FormatInt(q.ID, 10)
	}
	name += "-" + e.ExportedAt.Format("20060102")
	if format == FormatCSV {
		name += "-" + table
	}
	return name + "." + format
}

func (e *Export) readme() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Open data of %q (%s), exported by odn on %s.\n\n", e.Space.Title, e.Space.URL, e.ExportedAt.Format(time.RFC3339))
	fmt.Fprintf(&b, "Licence: %s (%s)\n%s\n\n", e.Licence.Name, e.Licence.ID, e.Licence.URL)
	b.WriteString("Files: export.json (everything), one CSV per table (UTF-8, comma, header line, licence column),\n" +
		"datapackage.json (Frictionless Data Package describing the CSV files).\n\n")
	for _, k := range []string{"scope", "personal", "receipts", "authority"} {
		b.WriteString(e.Notes[k] + "\n")
	}
	return b.String()
}

// writeDataPackage writes a minimal Frictionless Data Package descriptor
// (https://datapackage.org) naming the licence and the CSV resources.
func (e *Export) writeDataPackage(w io.Writer) error {
	type resource struct {
		Name   string `json:"name"`
		Path   string `json:"path"`
		Format string `json:"format"`
		Schema struct {
			Fields []map[string]string `json:"fields"`
		} `json:"schema"`
	}
	pkg := struct {
		Name      string              `json:"name"`
		Title     string              `json:"title"`
		Homepage  string              `json:"homepage"`
		Created   time.Time           `json:"created"`
		Licenses  []map[string]string `json:"licenses"`
		Resources []resource          `json:"resources"`
	}{Name: strings.ToLower(e.Space.Name), Title: e.Space.Title, Homepage: e.Space.URL, Created: e.ExportedAt,
		Licenses: []map[string]string{{"name": e.Licence.ID, "path": e.Licence.URL, "title": e.Licence.Name}}}
	for _, t := range ExportTables {
		header, _, _ := e.table(t)
		r := resource{Name: strings.ReplaceAll(t, "_", "-"), Path: t + ".csv", Format: "csv"}
		for _, h := range append(header, "licence") {
			r.Schema.Fields = append(r.Schema.Fields, map[string]string{"name": h, "type": "string"})
		}
		pkg.Resources = append(pkg.Resources, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(pkg)
}

// table returns the header and rows of one CSV table.
func (e *Export) table(name string) (header []string, rows [][]string, ok bool) {
	switch name {
	case "proposals":
		header = []string{"id", "uri", "url", "title", "body", "author", "tags", "status", "supports", "threshold_reached_at", "answer", "answered_at", "consultation_id", "created_at", "updated_at"}
		for _, p := range e.Proposals {
			rows = append(rows, []string{xid(p.ID), p.URI, p.URL, p.Title, p.Body, p.Author, strings.Join(p.Tags, " "), p.Status,
				strconv.Itoa(p.Supports), xts(p.ThresholdAt), p.Answer, xts(p.AnsweredAt), xoptID(p.ConsultationID), xts(&p.CreatedAt), xts(&p.UpdatedAt)})
		}
	case "debates":
		header = []string{"id", "uri", "url", "question", "description", "author", "multiple", "phase", "opens_at", "closes_at", "closed_at", "public_ballot", "results_published", "voters", "results_updated_at", "consultation_id", "created_at"}
		for _, d := range e.Debates {
			rows = append(rows, []string{xid(d.ID), d.URI, d.URL, d.Question, d.Description, d.Author, strconv.FormatBool(d.Multiple), d.Phase,
				xts(d.OpensAt), xts(d.ClosesAt), xts(d.ClosedAt), strconv.FormatBool(d.PublicBallot), strconv.FormatBool(d.ResultsPublished),
				strconv.Itoa(d.Voters), xts(&d.ResultsUpdatedAt), xoptID(d.ConsultationID), xts(&d.CreatedAt)})
		}
	case "debate_options":
		header = []string{"debate_id", "index", "option", "count"}
		for _, d := range e.Debates {
			for _, o := range d.Options {
				rows = append(rows, []string{xid(d.ID), strconv.Itoa(o.Index), o.Name, strconv.Itoa(o.Count)})
			}
		}
	case "debate_instances":
		header = []string{"debate_id", "instance", "voters"}
		for _, d := range e.Debates {
			for _, h := range xsortedKeys(d.ByInstance) {
				rows = append(rows, []string{xid(d.ID), h, strconv.Itoa(d.ByInstance[h])})
			}
		}
	case "debate_receipts":
		header = []string{"debate_id", "receipt", "options", "voter"}
		for _, d := range e.Debates {
			for _, r := range d.Receipts {
				rows = append(rows, []string{xid(d.ID), r.Receipt, strings.Join(r.Options, "\n"), r.Voter})
			}
		}
	case "petitions":
		header = []string{"id", "uri", "url", "title", "body", "author", "addressee", "goal", "signatures", "status", "closes_at", "closed_by", "response", "responded_at", "consultation_id", "created_at"}
		for _, p := range e.Petitions {
			rows = append(rows, []string{xid(p.ID), p.URI, p.URL, p.Title, p.Body, p.Author, p.Addressee, strconv.Itoa(p.Goal),
				strconv.Itoa(p.Signatures), p.Status, xts(p.ClosesAt), p.ClosedBy, p.Response, xts(p.RespondedAt), xoptID(p.ConsultationID), xts(&p.CreatedAt)})
		}
	case "petition_milestones":
		header = []string{"petition_id", "percent", "signatures", "reached_at"}
		for _, p := range e.Petitions {
			for _, m := range p.Milestones {
				rows = append(rows, []string{xid(p.ID), strconv.Itoa(m.Percent), strconv.Itoa(m.Signatures), xts(&m.ReachedAt)})
			}
		}
	case "petition_signers":
		header = []string{"petition_id", "signer", "signed_at"}
		for _, p := range e.Petitions {
			for _, sg := range p.PublicSigners {
				rows = append(rows, []string{xid(p.ID), sg.Signer, xts(&sg.SignedAt)})
			}
		}
	case "petition_updates":
		header = []string{"petition_id", "uri", "body", "created_at"}
		for _, p := range e.Petitions {
			for _, u := range p.Updates {
				rows = append(rows, []string{xid(p.ID), u.URI, u.Body, xts(&u.CreatedAt)})
			}
		}
	case "comments":
		header = []string{"id", "uri", "object_type", "object_id", "parent_id", "author", "stance", "body", "created_at", "edited_at"}
		for _, c := range e.Comments {
			rows = append(rows, []string{xid(c.ID), c.URI, c.ObjectType, xid(c.ObjectID), xoptID(c.ParentID), c.Author, c.Stance, c.Body,
				xts(&c.CreatedAt), xts(c.EditedAt)})
		}
	default:
		return nil, nil, false
	}
	return header, rows, true
}

func xid(n int64) string { return strconv.FormatInt(n, 10) }

// optID writes 0 (none) as an empty cell.
func xoptID(n int64) string {
	if n == 0 {
		return ""
	}
	return xid(n)
}

// ts writes a time as RFC 3339 in UTC, and nil or zero as an empty cell.
func xts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func xsortedKeys(m map[string]int) []string {
	s := make(map[string]string, len(m))
	for k := range m {
		s[k] = ""
	}
	return sortedKeys(s)
}
