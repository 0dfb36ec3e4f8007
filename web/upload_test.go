package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image/jpeg"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestUploadStripsMetadataWeb: a phone photo uploaded as a banner through
// the real handler is served from /media/… without its GPS position,
// camera or names, with its orientation, decoding to the same pixels, and
// with the ETag of the served bytes; a damaged image sent as a document
// is refused with 422 on the file field.
func TestUploadStripsMetadataWeb(t *testing.T) {
	cw := newConsWeb(t, "sqlite")
	cw.Store.SetDataDir(t.TempDir())
	mod := cw.loggedIn("modo")
	in, want := imagemetatest.JPEGWithMetadata(6)

	ct, body := multipartForm(t, map[string]string{"banner_alt": "The square at dusk"}, "banner", "IMG_0042.JPG", in)
	if res := cw.postMultipart(mod, "/consultations/"+cw.id+"/banner", ct, body); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload banner: %d %s", res.StatusCode, readBody(res))
	}
	var c struct {
		Banner struct{ URL string } `json:"banner"`
	}
	cw.api("GET", "/api/v1/consultations/"+cw.id, "", nil, &c)
	res := cw.get(cw.client(), strings.TrimPrefix(c.Banner.URL, cw.URL))
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("banner served with %d %v", res.StatusCode, res.Header)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("served %d bytes, want the %d stripped ones", len(got), len(want))
	}
	for _, s := range imagemetatest.Secrets {
		if bytes.Contains(got, []byte(s)) {
			t.Errorf("%q served", s)
		}
	}
	if !bytes.Contains(got, imagemetatest.OrientationSegment(6)) {
		t.Error("the orientation was lost")
	}
	sum := sha256.Sum256(got)
	if res.Header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
		t.Errorf("ETag %s is not the served bytes' SHA-256", res.Header.Get("ETag"))
	}
	a, errA := jpeg.Decode(bytes.NewReader(in))
	b, errB := jpeg.Decode(bytes.NewReader(got))
	if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("served image decodes differently (%v, %v)", errA, errB)
	}

	cut := imagemetatest.JPEG()
	cut = cut[:len(cut)-10]
	ct, body = multipartForm(t, map[string]string{"kind": "file", "title": "Photo"}, "file", "cut.jpg", cut)
	res = cw.postMultipart(mod, "/consultations/"+cw.id+"/documents", ct, body)
	if page := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "The image is damaged or incomplete.") {
		t.Errorf("damaged image: %d, page lacks the error", res.StatusCode)
	}
}
