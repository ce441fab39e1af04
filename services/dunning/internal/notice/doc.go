// Package notice renders a dunning notice (a friendly reminder, a dunning
// letter or the final notice before collections) as a PDF, an e-mail
// subject and e-mail bodies in text and HTML, in German or English, and
// keeps the rendered copies in a file-system outbox that a mailer or print
// service reads.
//
// Rendering is pure and deterministic: the same Letter gives the same bytes,
// so that the outbox can tell a repeated Put from a changed notice. The PDF
// is written by a small PDF 1.4 writer of its own (no dependency): the
// standard fonts Helvetica and Helvetica-Bold in WinAnsiEncoding, so German
// umlauts, ß, € and § print, with uncompressed content streams. Amounts are
// int64 minor units of the letter's currency and are never converted to
// floating point.
package notice
