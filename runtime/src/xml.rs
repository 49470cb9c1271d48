//! Low-level XML pieces shared by the serializer, the body codec, the envelope codec, the
//! binary encoding and the WS-RM wire format: fragments, reader quotas and XML errors (the
//! types; `message` re-exports them), WCF-compatible escaping, reference resolution, error
//! mapping and a forward-only element reader over a fragment. It depends on no other module
//! of the crate, so every layer above can use it.

use bytes::Bytes;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, NamespaceResolver, PrefixDeclaration, QName, ResolveResult};
use quick_xml::Reader;
use std::borrow::Cow;

/// A piece of XML kept as bytes, together with the namespace declarations that were in scope
/// where it was cut out, so it can be parsed or re-emitted on its own.
#[derive(Debug, Clone)]
pub struct XmlFragment {
    /// UTF-8 XML: one or more complete elements (or character data), no XML declaration.
    pub xml: Bytes,
    /// `(prefix, namespace URI)` pairs in scope at the fragment's position that the fragment
    /// may rely on; the empty prefix is the default namespace.
    pub inherited_namespaces: Vec<(String, String)>,
    /// The .NET types of the typed values in `xml`, where the serializer wrote them: the binary
    /// encoder writes those as typed records, as WCF's writer does for `WriteValue`. Not part of
    /// the fragment's value (equality ignores it).
    pub(crate) typed: Vec<TypedText>,
}

/// Equal when the XML and the inherited namespaces are; the typed-value hints are an encoding
/// detail.
impl PartialEq for XmlFragment {
    fn eq(&self, other: &Self) -> bool {
        self.xml == other.xml && self.inherited_namespaces == other.inherited_namespaces
    }
}

impl Eq for XmlFragment {}

impl XmlFragment {
    /// A fragment that declares every namespace it uses itself.
    pub fn new(xml: impl Into<Bytes>) -> Self {
        XmlFragment {
            xml: xml.into(),
            inherited_namespaces: Vec::new(),
            typed: Vec::new(),
        }
    }

    /// A fragment that relies on `inherited_namespaces` declared around it.
    pub fn with_inherited_namespaces(
        xml: impl Into<Bytes>,
        inherited_namespaces: Vec<(String, String)>,
    ) -> Self {
        XmlFragment {
            xml: xml.into(),
            inherited_namespaces,
            typed: Vec::new(),
        }
    }
}

/// What .NET type a text node of a fragment holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextType {
    Float,
    Double,
    Decimal,
    DateTime,
    TimeSpan,
    Base64,
}

/// A typed text node: where its text starts in the fragment's XML, and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypedText {
    pub(crate) at: usize,
    pub(crate) ty: TextType,
}

/// Limits on what a reader accepts from a peer, as WCF's `XmlDictionaryReaderQuotas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderQuotas {
    /// Deepest element nesting in a whole envelope. Default 32.
    pub max_depth: usize,
    /// Longest text or attribute value, in characters. Default 8,192.
    pub max_string_content_length: usize,
    /// Most items in one array (sequence) and most bytes in one base64 value. Default 16,384.
    pub max_array_length: usize,
    /// Most characters across all distinct element, attribute and prefix names. Default 16,384.
    pub max_name_table_char_count: usize,
}

impl Default for ReaderQuotas {
    fn default() -> Self {
        ReaderQuotas {
            max_depth: 32,
            max_string_content_length: 8192,
            max_array_length: 16384,
            max_name_table_char_count: 16384,
        }
    }
}

/// What went wrong turning XML into a message or a value, or back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The bytes are not well-formed XML (or not UTF-8).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed XML that is not a SOAP envelope of the expected shape.
    #[error("not a SOAP envelope: {0}")]
    NotSoap(String),
    /// A SOAP envelope of another version than the binding's.
    #[error("SOAP envelope version mismatch: expected {expected}, found {found}")]
    EnvelopeVersionMismatch {
        /// The envelope namespace the binding expects.
        expected: &'static str,
        /// The envelope namespace that arrived.
        found: String,
    },
    /// A reader quota was exceeded.
    #[error("reader quota exceeded: {0}")]
    QuotaExceeded(String),
    /// A value could not be written as XML.
    #[error("cannot serialize: {0}")]
    Serialize(String),
    /// The XML does not hold a value of the expected type.
    #[error("cannot deserialize: {0}")]
    Deserialize(String),
}

/// The XML Schema instance namespace (`xsi:nil`, `xsi:type`).
pub(crate) const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The UTF-8 byte order mark, which peers may put in front of a document.
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Appends `text` escaped for element content the way WCF's text writer does: `&`, `<`, `>`
/// always, CR and the other C0 controls (but TAB and LF) as character references so they
/// survive a round trip, and the non-characters U+FFFE/U+FFFF likewise.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &str) {
    write_escaped(out, text, false);
}

/// Appends `value` escaped for a double-quoted attribute value; unlike text, `"`, TAB and LF
/// must be references too or attribute-value normalisation would change them.
pub(crate) fn write_attr(out: &mut Vec<u8>, value: &str) {
    write_escaped(out, value, true);
}

/// The bytes [`escape_at`] may act on: markup characters, the C0 controls and 0xEF (the lead
/// byte of U+FFFE/U+FFFF). Text is mostly none of these, so runs of other bytes are skipped
/// with one table lookup per byte before `escape_at` looks closer.
static MAY_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'"' as usize] = true;
    table[0xEF] = true;
    table
};

/// Where the first byte of `bytes` that [`MAY_ESCAPE`] lists is. Eight bytes at a time: a
/// word with none of them (the usual case for URIs and names) is passed over in a few
/// arithmetic steps instead of eight lookups.
fn first_may_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Non-zero exactly when some byte of `x` is zero (the classic "has zero byte" test; it
    // may flag the wrong byte after a true zero, never a word without one).
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let has = |x: u64, b: u8| has_zero(x ^ (ONES * u64::from(b)));
    let mut at = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_ne_bytes(word);
        // `x - 0x20..` borrows out of a byte below 0x20; `& !x` drops bytes >= 0x80.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        if control | has(x, b'&') | has(x, b'<') | has(x, b'>') | has(x, b'"') | has(x, 0xEF) != 0 {
            break;
        }
        at += 8;
    }
    bytes
        .get(at..)?
        .iter()
        .position(|&b| MAY_ESCAPE[usize::from(b)])
        .map(|offset| at + offset)
}

fn write_escaped(out: &mut Vec<u8>, text: &str, attr: bool) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let mut run = 0;
    let mut i = 0;
    while let Some(skip) = bytes.get(i..).and_then(first_may_escape) {
        i += skip;
        let Some(escape) = escape_at(bytes, i, attr) else {
            i += 1;
            continue;
        };
        out.extend_from_slice(&bytes[run..i]);
        match escape {
            Escape::Entity(entity) => {
                out.extend_from_slice(entity);
                i += 1;
            }
            Escape::CharRef(code, width) => {
                write_char_ref(out, code);
                i += width;
            }
        }
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
}

enum Escape {
    Entity(&'static [u8]),
    /// Code point and its UTF-8 width.
    CharRef(u32, usize),
}

fn escape_at(bytes: &[u8], i: usize, attr: bool) -> Option<Escape> {
    match *bytes.get(i)? {
        b'&' => Some(Escape::Entity(b"&amp;")),
        b'<' => Some(Escape::Entity(b"&lt;")),
        b'>' => Some(Escape::Entity(b"&gt;")),
        b'"' if attr => Some(Escape::Entity(b"&quot;")),
        b'\t' | b'\n' if !attr => None,
        b @ 0..=0x1F => Some(Escape::CharRef(u32::from(b), 1)),
        // U+FFFE / U+FFFF encode as EF BF BE / EF BF BF.
        0xEF if bytes.get(i + 1) == Some(&0xBF) => match bytes.get(i + 2) {
            Some(0xBE) => Some(Escape::CharRef(0xFFFE, 3)),
            Some(0xBF) => Some(Escape::CharRef(0xFFFF, 3)),
            _ => None,
        },
        _ => None,
    }
}

fn write_char_ref(out: &mut Vec<u8>, code: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(b"&#x");
    let mut started = false;
    for shift in (0..8).rev() {
        let nibble = (code >> (shift * 4)) & 0xF;
        if nibble != 0 || started || shift == 0 {
            started = true;
            out.push(HEX[nibble as usize]);
        }
    }
    out.push(b';');
}

/// Appends ` xmlns="ns"` or ` xmlns:prefix="ns"`.
pub(crate) fn write_ns_decl(out: &mut Vec<u8>, prefix: &str, ns: &str) {
    if prefix.is_empty() {
        out.extend_from_slice(b" xmlns=\"");
    } else {
        out.extend_from_slice(b" xmlns:");
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(b"=\"");
    }
    write_attr(out, ns);
    out.push(b'"');
}

/// Whether `s` is nothing but XML whitespace.
pub(crate) fn is_whitespace(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Trims XML whitespace (not Unicode whitespace: XML Schema's `collapse` knows only these four).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// Resolves `&name;` or `&#N;`. Character references are decoded leniently, without XML 1.0's
/// legal-character check, because WCF writes `&#x1;` and friends and reads them back.
pub(crate) fn resolve_ref(r: &BytesRef<'_>) -> Result<Cow<'static, str>, XmlError> {
    let name: &str = r;
    let text = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => return resolve_char_ref(name).map(|c| Cow::Owned(c.to_string())),
    };
    Ok(Cow::Borrowed(text))
}

fn resolve_char_ref(name: &str) -> Result<char, XmlError> {
    let bad = || {
        XmlError::Malformed(format!(
            "undefined entity or bad character reference `&{name};`"
        ))
    };
    let digits = name.strip_prefix('#').ok_or_else(bad)?;
    // Integer parsing would accept a sign; a character reference does not.
    if digits.contains(['+', '-']) {
        return Err(bad());
    }
    let code = match digits.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => digits.parse::<u32>(),
    }
    .map_err(|_| bad())?;
    char::from_u32(code).ok_or_else(bad)
}

/// Maps a quick-xml error to Indigo's, with the byte offset where the reader stopped.
pub(crate) fn map_error(err: quick_xml::Error, position: u64) -> XmlError {
    use quick_xml::name::NamespaceError;
    match err {
        quick_xml::Error::Namespace(NamespaceError::TooManyBindings(n)) => XmlError::QuotaExceeded(
            format!("more than {n} namespace declarations in scope (at byte {position})"),
        ),
        quick_xml::Error::Namespace(NamespaceError::TooDeeplyNested(n)) => {
            XmlError::QuotaExceeded(format!("elements nested deeper than {n}"))
        }
        other => XmlError::Malformed(format!("{other} (at byte {position})")),
    }
}

/// Checks every attribute of `start` parses (quick-xml parses them lazily) and that every
/// prefix used by the element or its attributes is declared; then tells, as [`has_nil`] does,
/// whether the element is nil. One pass over the attributes does both.
pub(crate) fn check_start_nil(
    reader: &NamespaceResolver,
    start: &BytesStart<'_>,
    position: u64,
) -> Result<bool, XmlError> {
    let mut nil = None;
    check_and_record(reader, start, position, None, Some(&mut nil))?;
    Ok(nil.unwrap_or(false))
}

/// [`check_start_nil`]'s checks, then [`NameTable::record`], in one pass over the attributes. Errors come
/// out as if the two ran one after the other: a check error wins over a quota error.
pub(crate) fn check_start_and_record(
    reader: &NamespaceResolver,
    start: &BytesStart<'_>,
    position: u64,
    names: &mut NameTable,
) -> Result<(), XmlError> {
    check_and_record(reader, start, position, Some(names), None)
}

/// With `nil`, also finds what [`has_nil`] would: the first `nil` attribute in the XML Schema
/// instance namespace decides.
fn check_and_record(
    reader: &NamespaceResolver,
    start: &BytesStart<'_>,
    position: u64,
    mut names: Option<&mut NameTable>,
    mut nil: Option<&mut Option<bool>>,
) -> Result<(), XmlError> {
    let name = start.name();
    if let (ResolveResult::Unknown(p), _) = reader.resolve_element(name) {
        return Err(undeclared(&p, position));
    }
    // A quota error waits for the checks to pass; the names recorded so far stay recorded,
    // which is harmless because the message is refused either way.
    let mut quota = match names.as_deref_mut() {
        Some(names) => names.add_name(name),
        None => Ok(()),
    };
    // quick-xml's duplicate check allocates a list of keys on every tag with an attribute.
    // Tags have a handful of attributes, so they are compared here on the stack instead; any
    // error, a duplicate or an unusually long attribute list goes the checked way, which
    // reports the same first error quick-xml always did.
    let mut keys = [""; 8];
    for (seen, attr) in start.attributes().with_checks(false).enumerate() {
        let Ok(attr) = attr else {
            return check_attributes_checked(reader, start, position, names, nil);
        };
        let key = attr.key.into_inner();
        if seen == keys.len() || keys[..seen].contains(&key) {
            return check_attributes_checked(reader, start, position, names, nil);
        }
        keys[seen] = key;
        if let (Ok(()), Some(names)) = (&quota, names.as_deref_mut()) {
            quota = names.add_name(attr.key);
        }
        if attr.key.as_namespace_binding().is_some() {
            check_namespace(&attr.value, position)?;
            continue;
        }
        let (ns, local) = reader.resolve_attribute(attr.key);
        if let ResolveResult::Unknown(p) = ns {
            return Err(undeclared(&p, position));
        }
        if let Some(nil @ None) = nil.as_deref_mut() {
            if local.into_inner() == "nil"
                && attr.key.prefix().is_some()
                && ns == ResolveResult::Bound(Namespace(XSI))
            {
                *nil = Some(matches!(trim(&attr.value), "true" | "1"));
            }
        }
    }
    quota
}

/// Whether a namespace URI reads back as it is written. quick-xml resolves a prefix to the
/// raw bytes of its declaration, without resolving references or normalizing whitespace, while
/// [`write_ns_decl`] escapes these characters; a URI holding one would be read as something
/// else than it means (`a&amp;b` for `a&b`) and change on every pass through Indigo. Real
/// namespace URIs never hold them, so the readers refuse such a declaration.
pub(crate) fn plain_namespace(uri: &str) -> bool {
    // Bytes, not chars: every message's declarations pass here. U+FFFE and U+FFFF are the
    // only refused characters beyond ASCII; both start with 0xEF in UTF-8.
    let bytes = uri.as_bytes();
    !bytes.iter().enumerate().any(|(i, &b)| match b {
        b'&' | b'<' | b'>' | b'"' | 0..=0x1F => true,
        0xEF => matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
        _ => false,
    })
}

fn check_namespace(uri: &str, position: u64) -> Result<(), XmlError> {
    if plain_namespace(uri) {
        return Ok(());
    }
    Err(XmlError::Malformed(format!(
        "a namespace declaration holds a reference, a control character or markup (at byte \
         {position}); not supported"
    )))
}

/// The attribute checks with quick-xml's own duplicate check, then the recording of all names
/// again (recording is idempotent) and [`has_nil`].
#[cold]
fn check_attributes_checked(
    reader: &NamespaceResolver,
    start: &BytesStart<'_>,
    position: u64,
    names: Option<&mut NameTable>,
    nil: Option<&mut Option<bool>>,
) -> Result<(), XmlError> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Malformed(format!("{e} (at byte {position})")))?;
        if attr.key.as_namespace_binding().is_some() {
            check_namespace(&attr.value, position)?;
            continue;
        }
        if let (ResolveResult::Unknown(p), _) = reader.resolve_attribute(attr.key) {
            return Err(undeclared(&p, position));
        }
    }
    if let Some(nil) = nil {
        *nil = Some(has_nil(reader, start)?);
    }
    match names {
        Some(names) => names.record(start),
        None => Ok(()),
    }
}

/// WCF's `MaxNameTableCharCount`: the characters of all distinct names (element and attribute
/// local names and prefixes) one message may use. Bounded by the quota itself, so a peer that
/// invents a new name for every element cannot grow it.
///
/// It sits on the path of every start tag, so it is built to cost little: the names SOAP,
/// WS-Addressing and WS-RM envelopes are made of are matched against a fixed list and
/// remembered in a bit set (no hashing, no allocation); the first few other names (an
/// operation wrapper and its parameters, typically) are kept inline and compared directly;
/// only beyond those do names go through a hash index. That index hashes with foldhash,
/// seeded at random per table like SipHash's `RandomState` (so a peer cannot precompute
/// colliding names) but several times cheaper on short keys; the names themselves are kept
/// back to back in one buffer instead of one allocation each.
#[derive(Debug)]
pub(crate) struct NameTable {
    /// Bit `i` is set once the name `well_known` numbers `i` has been counted.
    known: u64,
    /// The first other distinct names, back to back, up to `SMALL_NAMES` names or
    /// `SMALL_BYTES` bytes.
    small: [u8; SMALL_BYTES],
    /// Where each name in `small` ends (`SMALL_BYTES` fits in a byte).
    small_ends: [u8; SMALL_NAMES],
    small_count: usize,
    /// The rest of the other distinct names, back to back. Never longer than the quota: a name is charged
    /// before it is stored.
    arena: String,
    /// `(start, len, next)` of each name in `arena`; `next` is the index + 1 of another name
    /// with the same 64-bit hash (0 for none), so full-hash collisions stay correct.
    spans: Vec<(usize, usize, usize)>,
    /// Full 64-bit hash of a name -> index + 1 into `spans` of the latest name with that hash.
    index: std::collections::HashMap<u64, usize, std::hash::BuildHasherDefault<PrehashedKey>>,
    hasher: foldhash::fast::RandomState,
    chars: usize,
    max: usize,
}

const SMALL_NAMES: usize = 8;
const SMALL_BYTES: usize = 64;

/// Index of `name` among the names nearly every envelope uses (at most 64: one bit each in
/// `NameTable::known`). Membership only decides where a name is remembered, never whether it
/// is counted. A `match` compiles to a switch on the length and few comparisons.
fn well_known(name: &str) -> Option<u32> {
    Some(match name {
        "Envelope" => 0,
        "Header" => 1,
        "Body" => 2,
        "s" => 3,
        "a" => 4,
        "xmlns" => 5,
        "mustUnderstand" => 6,
        "Action" => 7,
        "MessageID" => 8,
        "ReplyTo" => 9,
        "Address" => 10,
        "To" => 11,
        "RelatesTo" => 12,
        "From" => 13,
        "FaultTo" => 14,
        "RelationshipType" => 15,
        "Fault" => 16,
        "Code" => 17,
        "Value" => 18,
        "Subcode" => 19,
        "Reason" => 20,
        "Text" => 21,
        "lang" => 22,
        "xml" => 23,
        "Node" => 24,
        "Detail" => 25,
        "i" => 26,
        "nil" => 27,
        "type" => 28,
        "r" => 29,
        "Sequence" => 30,
        "Identifier" => 31,
        "MessageNumber" => 32,
        "AckRequested" => 33,
        "SequenceAcknowledgement" => 34,
        "AcknowledgementRange" => 35,
        "Upper" => 36,
        "Lower" => 37,
        "LastMessage" => 38,
        "env" => 39,
        "wsa" => 40,
        _ => return None,
    })
}

/// A `Hasher` for keys that already are 64-bit hashes.
#[derive(Debug, Default)]
pub(crate) struct PrehashedKey(u64);

impl std::hash::Hasher for PrehashedKey {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed with this; fold anything else in rather than panic.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

impl NameTable {
    pub(crate) fn new(max: usize) -> Self {
        NameTable {
            known: 0,
            small: [0; SMALL_BYTES],
            small_ends: [0; SMALL_NAMES],
            small_count: 0,
            arena: String::new(),
            spans: Vec::new(),
            index: std::collections::HashMap::default(),
            hasher: foldhash::fast::RandomState::default(),
            chars: 0,
            max,
        }
    }

    /// Records the names `start` uses.
    pub(crate) fn record(&mut self, start: &BytesStart<'_>) -> Result<(), XmlError> {
        self.add_name(start.name())?;
        // The checks have already rejected malformed and duplicate attributes, so the
        // duplicate check (which allocates) is not repeated here.
        for attr in start.attributes().with_checks(false).flatten() {
            self.add_name(attr.key)?;
        }
        Ok(())
    }

    /// Records a qualified name's local part, then its prefix.
    fn add_name(&mut self, name: QName<'_>) -> Result<(), XmlError> {
        // One search for the colon instead of one for each part.
        let (local, prefix) = name.decompose();
        self.add(local.into_inner())?;
        if let Some(prefix) = prefix {
            self.add(prefix.into_inner())?;
        }
        Ok(())
    }

    /// Counts one local name or prefix, unless already counted.
    pub(crate) fn add(&mut self, name: &str) -> Result<(), XmlError> {
        if let Some(bit) = well_known(name) {
            let bit = 1u64 << bit;
            if self.known & bit != 0 {
                return Ok(());
            }
            self.charge(name.len())?;
            self.known |= bit;
            return Ok(());
        }
        let mut start = 0;
        for &end in &self.small_ends[..self.small_count] {
            let end = usize::from(end);
            if self.small.get(start..end) == Some(name.as_bytes()) {
                return Ok(());
            }
            start = end;
        }
        // `start` is now where the next inline name would go.
        let hash = if self.spans.is_empty() {
            None
        } else {
            let hash = std::hash::BuildHasher::hash_one(&self.hasher, name);
            if self.heap_contains(hash, name) {
                return Ok(());
            }
            Some(hash)
        };
        self.charge(name.len())?;
        if self.small_count < SMALL_NAMES {
            let end = start + name.len();
            if let (Some(slot), Ok(end)) = (self.small.get_mut(start..end), u8::try_from(end)) {
                slot.copy_from_slice(name.as_bytes());
                self.small_ends[self.small_count] = end;
                self.small_count += 1;
                return Ok(());
            }
        }
        let hash = hash.unwrap_or_else(|| std::hash::BuildHasher::hash_one(&self.hasher, name));
        if self.spans.is_empty() {
            // One allocation each that fits the names of a larger body.
            self.arena.reserve(256);
            self.spans.reserve(16);
            self.index.reserve(16);
        }
        let head = self.index.get(&hash).copied().unwrap_or(0);
        self.spans.push((self.arena.len(), name.len(), head));
        self.arena.push_str(name);
        self.index.insert(hash, self.spans.len());
        Ok(())
    }

    /// Whether the hash index holds `name`, whose hash is `hash`.
    fn heap_contains(&self, hash: u64, name: &str) -> bool {
        let mut next = self.index.get(&hash).copied().unwrap_or(0);
        while let Some(&(start, len, chain)) = next.checked_sub(1).and_then(|i| self.spans.get(i)) {
            if self.arena.get(start..start + len) == Some(name) {
                return true;
            }
            next = chain;
        }
        false
    }

    fn charge(&mut self, len: usize) -> Result<(), XmlError> {
        self.chars += len;
        if self.chars > self.max {
            return Err(XmlError::QuotaExceeded(format!(
                "the message uses more than max_name_table_char_count ({}) characters of names",
                self.max
            )));
        }
        Ok(())
    }
}

fn undeclared(prefix: &str, position: u64) -> XmlError {
    XmlError::Malformed(format!(
        "namespace prefix `{prefix}` is not declared (at byte {position})"
    ))
}

/// Whether `start` carries `nil="true"` (or `"1"`) in the XML Schema instance namespace,
/// under whatever prefix.
/// Callers check the attributes first, so quick-xml's allocating duplicate check is skipped.
pub(crate) fn has_nil(
    reader: &NamespaceResolver,
    start: &BytesStart<'_>,
) -> Result<bool, XmlError> {
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        if attr.key.local_name().into_inner() != "nil" || attr.key.prefix().is_none() {
            continue;
        }
        let (ns, _) = reader.resolve_attribute(attr.key);
        if ns == ResolveResult::Bound(Namespace(XSI)) {
            return Ok(matches!(trim(&attr.value), "true" | "1"));
        }
    }
    Ok(false)
}

/// The namespace URI an element name resolves to ("" when it has none).
pub(crate) fn element_ns<'r>(
    reader: &'r NamespaceResolver,
    name: QName<'_>,
    position: u64,
) -> Result<&'r str, XmlError> {
    match reader.resolve_element(name) {
        (ResolveResult::Bound(Namespace(ns)), _) => Ok(ns),
        (ResolveResult::Unbound, _) => Ok(""),
        (ResolveResult::Unknown(p), _) => Err(undeclared(&p, position)),
    }
}

/// The in-scope namespace declarations, as `XmlFragment::inherited_namespaces` wants them.
pub(crate) fn in_scope_namespaces(reader: &NamespaceResolver) -> Vec<(String, String)> {
    bindings(reader)
        .map(|(prefix, ns)| (prefix.to_owned(), ns.to_owned()))
        .collect()
}

/// The in-scope namespace declarations as `(prefix, namespace)`, the default's prefix empty.
pub(crate) fn bindings(reader: &NamespaceResolver) -> impl Iterator<Item = (&str, &str)> {
    reader.bindings().map(|(prefix, ns)| {
        let prefix = match prefix {
            PrefixDeclaration::Default => "",
            PrefixDeclaration::Named(p) => p,
        };
        (prefix, ns.into_inner())
    })
}

/// The declarations, of those in scope where `xml` was cut out, that the fragment keeps as
/// its inherited namespaces: the default namespace, and each named prefix whose `prefix:`
/// occurs in the fragment's text. That covers element and attribute names and QName values
/// (`xsi:type="b:Derived"`); a fragment with a character reference, which could spell a
/// QName's colon, keeps them all. Keeping only what may be used matters on every message:
/// a body or header otherwise carries the envelope's `s` and `a` bindings as four strings.
pub(crate) fn inherited_used_by<'s>(
    xml: &[u8],
    in_scope: impl IntoIterator<Item = (&'s str, &'s str)>,
) -> Vec<(String, String)> {
    let keep_all = memchr::memmem::find(xml, b"&#").is_some();
    let mut kept = Vec::new();
    for (prefix, namespace) in in_scope {
        if keep_all || prefix.is_empty() || refers_to_prefix(xml, prefix) {
            kept.push((prefix.to_owned(), namespace.to_owned()));
        }
    }
    kept
}

/// Whether `prefix:` occurs in `xml` as a whole prefix (not the end of a longer name, such
/// as `s:` in `xmlns:`).
fn refers_to_prefix(xml: &[u8], prefix: &str) -> bool {
    let prefix = prefix.as_bytes();
    let is_name_byte =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') || b >= 0x80;
    memchr::memchr_iter(b':', xml).any(|colon| {
        let before = &xml[..colon];
        before.ends_with(prefix)
            && before[..before.len() - prefix.len()]
                .last()
                .is_none_or(|&b| !is_name_byte(b))
    })
}

/// Counts characters only when the byte length could exceed the quota, so ASCII stays cheap.
pub(crate) fn check_string_quota(
    text: &str,
    quotas: &ReaderQuotas,
    element: &str,
) -> Result<(), XmlError> {
    let max = quotas.max_string_content_length;
    if text.len() > max && text.chars().count() > max {
        return Err(XmlError::QuotaExceeded(format!(
            "text of <{element}> is longer than max_string_content_length ({max})"
        )));
    }
    Ok(())
}

fn text_too_long(element: &str, quotas: &ReaderQuotas, max_bytes: Option<usize>) -> XmlError {
    XmlError::QuotaExceeded(match max_bytes {
        Some(max) => format!("content of <{element}> is longer than {max} bytes"),
        None => format!(
            "text of <{element}> is longer than max_string_content_length ({})",
            quotas.max_string_content_length
        ),
    })
}

/// One reader step, reduced to what element-level consumers care about.
#[derive(Debug)]
pub(crate) enum Node<'de> {
    /// A start tag (or an empty-element tag, then `empty` is set).
    Start(Element<'de>),
    /// The end of the element whose content is being read.
    End,
    /// A piece of character data (text, CDATA or one resolved reference).
    Text(Cow<'de, str>),
    /// End of input.
    Eof,
}

/// A start tag together with what had to be looked up while its namespace scope was current.
#[derive(Debug, Clone)]
pub(crate) struct Element<'de> {
    pub(crate) start: BytesStart<'de>,
    pub(crate) empty: bool,
    pub(crate) nil: bool,
    /// Where the local name starts in the qualified name: found once, because the
    /// deserializer asks for it for every field it matches and every text it reads.
    local_at: usize,
}

impl<'de> Element<'de> {
    fn new(start: BytesStart<'de>, empty: bool, nil: bool) -> Self {
        let name = start.name();
        let local_at = name.into_inner().len() - name.local_name().into_inner().len();
        Element {
            start,
            empty,
            nil,
            local_at,
        }
    }

    /// The local name, for matching and for error messages.
    pub(crate) fn local(&self) -> &str {
        let name = self.start.name().into_inner();
        name.get(self.local_at..).unwrap_or(name)
    }
}

/// A forward-only reader over one fragment that tracks depth against the reader quotas.
///
/// quick-xml's `NsReader` is its `Reader` plus a `NamespaceResolver`, and a fresh resolver
/// costs about seven allocations, every message body. This reader reads through
/// [`NsEvents`] instead, which drives the two itself, as `NsReader` does, with a resolver
/// taken from a small per-thread pool and handed back emptied when the reader is dropped.
#[derive(Debug)]
pub(crate) struct FragmentReader<'de> {
    reader: NsEvents<'de>,
    pub(crate) quotas: ReaderQuotas,
    depth: usize,
    peeked: Option<Node<'de>>,
}

/// A namespace resolver borrowed from this thread's pool; returned, back at its initial
/// state, on drop, unless it served a fragment large enough to have grown it much (its
/// buffer keeps the room of every declaration it held).
#[derive(Debug)]
struct PooledResolver {
    resolver: Option<NamespaceResolver>,
    keep: bool,
}

thread_local! {
    static RESOLVERS: std::cell::RefCell<Vec<NamespaceResolver>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Resolvers kept per thread: enough for readers nested a few deep.
const POOLED_RESOLVERS: usize = 4;
/// Fragments (with their inherited declarations) up to this size give their resolver back.
const POOLED_FRAGMENT_BYTES: usize = 16 * 1024;

impl PooledResolver {
    /// A resolver with only `xml` and `xmlns` bound, at level 1, so that the fragment's
    /// inherited declarations (added at that level) are dropped with everything else when
    /// the level goes back to 0.
    /// `input_len` is the size of what will be read, declarations included: it decides
    /// whether the resolver goes back to the pool.
    fn take(input_len: usize) -> Self {
        let mut resolver = RESOLVERS
            .try_with(|pool| pool.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        resolver.set_level(1);
        PooledResolver {
            resolver: Some(resolver),
            keep: input_len <= POOLED_FRAGMENT_BYTES,
        }
    }
}

impl std::ops::Deref for PooledResolver {
    type Target = NamespaceResolver;
    fn deref(&self) -> &NamespaceResolver {
        // Some from `take` until `drop`.
        self.resolver
            .as_ref()
            .expect("a pooled resolver is present until dropped")
    }
}

impl std::ops::DerefMut for PooledResolver {
    fn deref_mut(&mut self) -> &mut NamespaceResolver {
        self.resolver
            .as_mut()
            .expect("a pooled resolver is present until dropped")
    }
}

impl Drop for PooledResolver {
    fn drop(&mut self) {
        let Some(mut resolver) = self.resolver.take() else {
            return;
        };
        resolver.set_level(0);
        if self.keep && resolver.bindings().next().is_none() {
            {
                let _ = RESOLVERS.try_with(|pool| {
                    let mut pool = pool.borrow_mut();
                    if pool.len() < POOLED_RESOLVERS {
                        pool.push(resolver);
                    }
                });
            }
        }
    }
}

/// quick-xml's `Reader` with the namespace scope kept as its `NsReader` keeps it, over a
/// pooled resolver (see [`FragmentReader`]): the envelope reader and the fragment reader
/// both read through it.
#[derive(Debug)]
pub(crate) struct NsEvents<'i> {
    reader: Reader<&'i [u8]>,
    ns: PooledResolver,
    /// The scope of the last empty or end tag, left in place until the next event, as
    /// `NsReader` does, so that its namespace can still be asked for.
    pending_pop: bool,
}

impl<'i> NsEvents<'i> {
    /// Events of `input`; `declarations_len` is the size of declarations the caller will add.
    pub(crate) fn new(input: &'i [u8], declarations_len: usize) -> Self {
        NsEvents {
            reader: Reader::from_reader(input),
            ns: PooledResolver::take(input.len() + declarations_len),
            pending_pop: false,
        }
    }

    /// The next event, its declarations in scope.
    pub(crate) fn read_event(&mut self) -> quick_xml::Result<Event<'i>> {
        if self.pending_pop {
            self.ns.pop();
            self.pending_pop = false;
        }
        let event = self.reader.read_event()?;
        match &event {
            Event::Start(start) => self.ns.push(start)?,
            Event::Empty(start) => {
                self.ns.push(start)?;
                self.pending_pop = true;
            }
            Event::End(_) => self.pending_pop = true,
            _ => {}
        }
        Ok(event)
    }

    pub(crate) fn resolver(&self) -> &NamespaceResolver {
        &self.ns
    }

    pub(crate) fn resolver_mut(&mut self) -> &mut NamespaceResolver {
        &mut self.ns
    }

    pub(crate) fn buffer_position(&self) -> u64 {
        self.reader.buffer_position()
    }
}

impl<'de> FragmentReader<'de> {
    /// A reader over `fragment` with its inherited namespaces in scope.
    pub(crate) fn new(fragment: &'de XmlFragment, quotas: &ReaderQuotas) -> Result<Self, XmlError> {
        let declarations: usize = fragment
            .inherited_namespaces
            .iter()
            .map(|(p, u)| p.len() + u.len())
            .sum();
        let mut reader = NsEvents::new(&fragment.xml[..], declarations);
        for (prefix, uri) in &fragment.inherited_namespaces {
            let decl = if prefix.is_empty() {
                PrefixDeclaration::Default
            } else {
                PrefixDeclaration::Named(prefix)
            };
            reader
                .resolver_mut()
                .add(decl, Namespace(uri))
                .map_err(|e| map_error(e.into(), 0))?;
        }
        Ok(FragmentReader {
            reader,
            quotas: *quotas,
            depth: 0,
            peeked: None,
        })
    }

    /// The next node, skipping comments, processing instructions and declarations.
    pub(crate) fn next(&mut self) -> Result<Node<'de>, XmlError> {
        if let Some(node) = self.peeked.take() {
            return Ok(node);
        }
        loop {
            let position = self.reader.buffer_position();
            let event = self
                .reader
                .read_event()
                .map_err(|e| map_error(e, position))?;
            return Ok(match event {
                Event::Start(start) => Node::Start(self.element(start, false, position)?),
                Event::Empty(start) => Node::Start(self.element(start, true, position)?),
                Event::End(_) => {
                    self.depth = self.depth.saturating_sub(1);
                    Node::End
                }
                Event::Text(text) => Node::Text(text.xml10_content()),
                Event::CData(data) => Node::Text(data.into_inner()),
                Event::GeneralRef(r) => Node::Text(resolve_ref(&r)?),
                Event::Eof => Node::Eof,
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => continue,
            });
        }
    }

    /// Returns a node to be read again by the next [`next`](Self::next); quotas were already
    /// applied when it was first read.
    pub(crate) fn push_back(&mut self, node: Node<'de>) {
        self.peeked = Some(node);
    }

    fn element(
        &mut self,
        start: BytesStart<'de>,
        empty: bool,
        position: u64,
    ) -> Result<Element<'de>, XmlError> {
        let depth = self.depth + 1;
        if depth > self.quotas.max_depth {
            return Err(XmlError::QuotaExceeded(format!(
                "element <{}> is nested deeper than max_depth ({})",
                start.local_name().into_inner(),
                self.quotas.max_depth
            )));
        }
        if !empty {
            self.depth = depth;
        }
        let nil = check_start_nil(self.reader.resolver(), &start, position)?;
        Ok(Element::new(start, empty, nil))
    }

    /// The namespace of an element just returned by [`next`](Self::next) (before the next
    /// call, while its declarations are still in scope).
    pub(crate) fn namespace_of(&self, element: &Element<'_>) -> Result<&str, XmlError> {
        element_ns(
            self.reader.resolver(),
            element.start.name(),
            self.reader.buffer_position(),
        )
    }

    /// The `i:type` of an element just returned by [`next`](Self::next): the namespace and
    /// local name of the contract it names (an unprefixed name is in the default namespace).
    pub(crate) fn type_of(
        &self,
        element: &Element<'_>,
    ) -> Result<Option<(String, String)>, XmlError> {
        let position = self.reader.buffer_position();
        for attr in element.start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
            if attr.key.local_name().into_inner() != "type" || attr.key.prefix().is_none() {
                continue;
            }
            let (ns, _) = self.reader.resolver().resolve_attribute(attr.key);
            if ns != ResolveResult::Bound(Namespace(XSI)) {
                continue;
            }
            let value = trim(&attr.value);
            let (ns, local) = self.reader.resolver().resolve_element(QName(value));
            let ns = match ns {
                ResolveResult::Bound(Namespace(ns)) => ns.to_owned(),
                ResolveResult::Unbound => String::new(),
                ResolveResult::Unknown(p) => return Err(undeclared(&p, position)),
            };
            let local = local.into_inner().to_owned();
            return Ok(Some((ns, local)));
        }
        Ok(None)
    }

    /// The namespace declarations in scope at the element just returned by
    /// [`next`](Self::next), as `(prefix, namespace)` pairs (the empty prefix is the default).
    pub(crate) fn namespaces_in_scope(&self) -> Vec<(String, String)> {
        in_scope_namespaces(self.reader.resolver())
    }

    /// Reads the character content of `element` up to its end tag, within
    /// `max_string_content_length`; child elements are an error. Empty elements give "".
    pub(crate) fn read_text(&mut self, element: &Element<'_>) -> Result<Cow<'de, str>, XmlError> {
        self.collect_text(element, None)
    }

    /// Like [`read_text`](Self::read_text) for content that is not a string (base64), limited
    /// to `max_bytes` instead.
    pub(crate) fn read_text_bounded(
        &mut self,
        element: &Element<'_>,
        max_bytes: usize,
    ) -> Result<Cow<'de, str>, XmlError> {
        self.collect_text(element, Some(max_bytes))
    }

    fn collect_text(
        &mut self,
        element: &Element<'_>,
        max_bytes: Option<usize>,
    ) -> Result<Cow<'de, str>, XmlError> {
        if element.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut text: Cow<'de, str> = Cow::Borrowed("");
        loop {
            match self.next()? {
                Node::Text(piece) => {
                    if text.is_empty() {
                        text = piece;
                    } else {
                        text.to_mut().push_str(&piece);
                    }
                    // A character is at most 4 bytes; the exact count waits for the end tag
                    // so text split by many references is not recounted piece by piece.
                    let max = max_bytes
                        .unwrap_or(self.quotas.max_string_content_length.saturating_mul(4));
                    if text.len() > max {
                        return Err(text_too_long(element.local(), &self.quotas, max_bytes));
                    }
                }
                Node::End => {
                    if max_bytes.is_none() {
                        check_string_quota(&text, &self.quotas, element.local())?;
                    }
                    return Ok(text);
                }
                Node::Start(child) => {
                    return Err(XmlError::Deserialize(format!(
                        "expected text in <{}>, found element <{}>",
                        element.local(),
                        child.local()
                    )))
                }
                Node::Eof => return Err(unexpected_eof(element.local())),
            }
        }
    }

    /// Skips the rest of `element` (whose start tag was just read).
    pub(crate) fn skip(&mut self, element: &Element<'_>) -> Result<(), XmlError> {
        if element.empty {
            return Ok(());
        }
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Node::Start(child) if !child.empty => open += 1,
                Node::End => open -= 1,
                Node::Eof => return Err(unexpected_eof(element.local())),
                Node::Start(_) | Node::Text(_) => {}
            }
        }
        Ok(())
    }

    /// The next child element of the element being read, or `None` at its end tag. Whitespace
    /// between children is skipped; other text is an error.
    pub(crate) fn next_child(&mut self, parent: &str) -> Result<Option<Element<'de>>, XmlError> {
        loop {
            match self.next()? {
                Node::Start(child) => return Ok(Some(child)),
                Node::End => return Ok(None),
                Node::Text(text) if is_whitespace(&text) => {}
                Node::Text(text) => {
                    return Err(XmlError::Deserialize(format!(
                        "unexpected text `{}` in <{parent}>",
                        truncate_for_message(&text)
                    )))
                }
                Node::Eof => return Err(unexpected_eof(parent)),
            }
        }
    }
}

pub(crate) fn unexpected_eof(element: &str) -> XmlError {
    XmlError::Malformed(format!("the XML ends inside <{element}>"))
}

/// Keeps error messages short when the peer sent something huge.
pub(crate) fn truncate_for_message(text: &str) -> &str {
    const MAX: usize = 64;
    if text.len() <= MAX {
        return text;
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_namespaces_are_those_without_markup_controls_or_noncharacters() {
        for plain in [
            "http://tempuri.org/",
            "urn:a:b",
            "http://example.org/ünïcødé/\u{FFFD}/\u{EFFF}",
            "",
        ] {
            assert!(plain_namespace(plain), "{plain:?}");
        }
        for refused in [
            "a&b",
            "a<b",
            "a>b",
            "a\"b",
            "a\tb",
            "a\nb",
            "\0",
            "x\u{FFFE}",
            "\u{FFFF}y",
        ] {
            assert!(!plain_namespace(refused), "{refused:?}");
        }
    }

    fn text(s: &str) -> String {
        let mut out = Vec::new();
        write_text(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_wcf() {
        assert_eq!(
            text("a<b>&\"'\r\n\t\u{1}\u{FFFE}"),
            "a&lt;b&gt;&amp;\"'&#xD;\n\t&#x1;&#xFFFE;"
        );
        assert_eq!(text("\u{0}é\u{FFFF}"), "&#x0;é&#xFFFF;");
        // 0xEF lead bytes of other characters, and text with nothing to escape.
        assert_eq!(
            text("\u{FFFD}\u{F000}\u{FFBF}x"),
            "\u{FFFD}\u{F000}\u{FFBF}x"
        );
        assert_eq!(text("plain text"), "plain text");
        assert_eq!(text(""), "");
        assert_eq!(text("&\u{FFFE}"), "&amp;&#xFFFE;");
        assert_eq!(text("\u{1F}\u{7F}"), "&#x1F;\u{7F}");
        let mut out = Vec::new();
        write_attr(&mut out, "a\"b\t\n");
        assert_eq!(out, b"a&quot;b&#x9;&#xA;");
    }

    /// The escaping rules one character at a time, as a reference for the byte-level writer.
    fn escape_reference(s: &str, attr: bool) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' if attr => out.push_str("&quot;"),
                '\t' | '\n' if !attr => out.push(c),
                '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {
                    out.push_str(&format!("&#x{:X};", u32::from(c)));
                }
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn escaping_matches_the_per_character_rules() {
        let palette = [
            'a',
            ' ',
            '&',
            '<',
            '>',
            '"',
            '\'',
            '\t',
            '\n',
            '\r',
            '\u{0}',
            '\u{1F}',
            '\u{7F}',
            'é',
            '\u{FFFD}',
            '\u{FFFE}',
            '\u{FFFF}',
            '\u{F000}',
            '\u{1F600}',
        ];
        // A fixed pseudo-random walk over strings of the palette.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let s: String = (0..len)
                .map(|k| palette[((x >> (k * 5)) % palette.len() as u64) as usize])
                .collect();
            for attr in [false, true] {
                let mut out = Vec::new();
                write_escaped(&mut out, &s, attr);
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    escape_reference(&s, attr),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn finds_the_first_byte_that_may_need_escaping() {
        let base = b"abcdefghijklmnopqrstuvwxyz0123456789".to_vec();
        assert_eq!(first_may_escape(&base), None);
        assert_eq!(first_may_escape(b""), None);
        for special in 0..=255u8 {
            for at in 0..base.len() {
                let mut bytes = base.clone();
                bytes[at] = special;
                let expected = MAY_ESCAPE[usize::from(special)].then_some(at);
                assert_eq!(first_may_escape(&bytes), expected, "{special:#x} at {at}");
            }
        }
    }

    #[test]
    fn resolves_references_leniently() {
        assert_eq!(resolve_ref(&BytesRef::new("amp")).unwrap(), "&");
        assert_eq!(resolve_ref(&BytesRef::new("#xD")).unwrap(), "\r");
        assert_eq!(resolve_ref(&BytesRef::new("#x0")).unwrap(), "\0");
        assert_eq!(resolve_ref(&BytesRef::new("#65")).unwrap(), "A");
        assert!(resolve_ref(&BytesRef::new("nbsp")).is_err());
        assert!(resolve_ref(&BytesRef::new("#xD800")).is_err());
        assert!(resolve_ref(&BytesRef::new("#x+1")).is_err());
    }

    /// Reads the first start tag of `xml` and runs `check` on it while its scope is current.
    fn with_first_start<T>(
        xml: &str,
        check: impl FnOnce(&NamespaceResolver, &BytesStart<'_>) -> T,
    ) -> T {
        let mut reader = quick_xml::NsReader::from_reader(xml.as_bytes());
        loop {
            match reader.read_event().unwrap() {
                Event::Start(start) | Event::Empty(start) => {
                    return check(reader.resolver(), &start)
                }
                Event::Eof => panic!("no start tag in {xml}"),
                _ => {}
            }
        }
    }

    #[test]
    fn check_start_reports_what_the_checked_path_reports() {
        let tags = [
            r#"<a x="1" x="2"/>"#,
            r#"<a x="1" y="2" z="3" w="4" v="5" u="6" t="7" s="8" r="9" x="10"/>"#,
            r#"<a x="1" y="2" z="3" w="4" v="5" u="6" t="7" s="8" r="9" q="10"/>"#,
            r#"<a p:x="1" x="1" x="2"/>"#,
            r#"<a x="1" p:x="1" x="2"/>"#,
            r#"<a x="1" x="2" p:y="3"/>"#,
            r#"<a x=1/>"#,
            r#"<a x="1" y/>"#,
            r#"<p:a x="1"/>"#,
            r#"<a xmlns:p="urn:p" p:x="1" x="2"/>"#,
            r#"<a xmlns="urn:d" xmlns="urn:e"/>"#,
        ];
        for tag in tags {
            let (fast, checked) = with_first_start(tag, |reader, start| {
                let checked = match reader.resolve_element(start.name()) {
                    (ResolveResult::Unknown(p), _) => Err(undeclared(&p, 7)),
                    _ => check_attributes_checked(reader, start, 7, None, None),
                };
                (check_start_nil(reader, start, 7).map(|_| ()), checked)
            });
            assert_eq!(fast, checked, "{tag}");
        }
    }

    #[test]
    fn nil_is_found_as_has_nil_finds_it() {
        let xsi = XSI;
        let tags = [
            format!(r#"<a xmlns:i="{xsi}" i:nil="true"/>"#),
            format!(r#"<a xmlns:i="{xsi}" i:nil=" 1 "/>"#),
            format!(r#"<a xmlns:i="{xsi}" i:nil="false"/>"#),
            format!(r#"<a xmlns:i="{xsi}" nil="true"/>"#),
            r#"<a xmlns:i="urn:other" i:nil="true"/>"#.to_owned(),
            format!(r#"<a xmlns:i="{xsi}" xmlns:j="{xsi}" i:nil="false" j:nil="true"/>"#),
            format!(r#"<a xmlns:i="{xsi}" xmlns:j="{xsi}" i:nil="true" j:nil="false"/>"#),
            format!(
                r#"<a xmlns:i="{xsi}" b="1" c="1" d="1" e="1" f="1" g="1" h="1" i:nil="true"/>"#
            ),
            "<a/>".to_owned(),
        ];
        for tag in &tags {
            let (fast, slow) = with_first_start(tag, |reader, start| {
                (check_start_nil(reader, start, 0), has_nil(reader, start))
            });
            assert_eq!(fast, slow, "{tag}");
        }
    }

    #[test]
    fn name_table_counts_each_distinct_name_once() {
        // A reference model: the plain set of names the old table kept.
        let names = [
            "Envelope",
            "s",
            "xmlns",
            "a",
            "Header",
            "Action",
            "s",
            "mustUnderstand",
            "Echo",
            "text",
            "Echo",
            "xmlns",
            "text",
            "t",
            "Envelope",
            "item",
            "t",
            "Value",
            "x",
            "x",
            "\u{e9}l\u{e9}ment",
            "Sequence",
            "wsrm",
            "wsrm",
            "Body",
        ];
        let mut distinct = std::collections::HashSet::new();
        let mut total = 0;
        for name in names {
            if distinct.insert(name) {
                total += name.len();
            }
        }
        // Exactly at the quota passes; one character less fails on the name that crosses it.
        let mut table = NameTable::new(total);
        for name in names {
            table.add(name).unwrap();
        }
        assert_eq!(table.chars, total);
        let mut table = NameTable::new(total - 1);
        let mut charged = 0;
        let mut seen = std::collections::HashSet::new();
        for name in names {
            let fresh = seen.insert(name);
            if fresh {
                charged += name.len();
            }
            assert_eq!(table.add(name).is_err(), charged > total - 1, "{name}");
            if charged > total - 1 {
                break;
            }
        }
    }

    #[test]
    fn a_fragment_inherits_only_the_declarations_it_may_use() {
        let scope = [
            ("", "urn:default"),
            ("s", "urn:s"),
            ("a", "urn:a"),
            ("b", "urn:b"),
        ];
        let kept = |xml: &str| -> Vec<String> {
            inherited_used_by(xml.as_bytes(), scope)
                .into_iter()
                .map(|(prefix, _)| prefix)
                .collect()
        };
        // The default namespace always; a prefix that names nothing, never.
        assert_eq!(kept(r#"<Echo xmlns="urn:t"><text>x</text></Echo>"#), [""]);
        // Element and attribute names.
        assert_eq!(
            kept(r#"<a:To s:mustUnderstand="1">x</a:To>"#),
            ["", "s", "a"]
        );
        // A QName value; a prefix that only ends a longer name (`xmlns:`, `sb:`) is not one.
        assert_eq!(kept(r#"<v i:type="b:T" xmlns:i="urn:i"/>"#), ["", "b"]);
        assert_eq!(kept(r#"<v xmlns:i="urn:i">sb:x</v>"#), [""]);
        assert_eq!(kept("b:T"), ["", "b"]);
        // A character reference could spell a QName's colon: everything stays.
        assert_eq!(kept(r#"<v>b&#58;T</v>"#), ["", "s", "a", "b"]);
        assert_eq!(
            inherited_used_by(b"<v>b:T</v>", scope)[1],
            ("b".to_owned(), "urn:b".to_owned())
        );
    }

    #[test]
    fn name_table_tells_many_similar_names_apart() {
        // Short names, and every seventh one too long to be kept inline, so names land both
        // inline and in the hash index, in every order.
        let name = |i: usize| {
            if i % 7 == 3 {
                format!("{i}{}", "long".repeat(20))
            } else {
                format!("n{i}")
            }
        };
        let mut table = NameTable::new(usize::MAX);
        let expected: usize = (0..5000).map(|i| name(i).len()).sum();
        for round in 0..2 {
            for i in 0..5000 {
                table.add(&name(i)).unwrap();
            }
            for i in (0..5000).rev() {
                table.add(&name(i)).unwrap();
            }
            assert_eq!(table.chars, expected, "round {round}");
        }
        assert_eq!(table.small_count, SMALL_NAMES);
    }
}

/// The pooled namespace resolvers behind [`FragmentReader`]: a reader sees only its own
/// fragment's declarations, whatever readers on the same thread saw before it, including
/// ones dropped halfway through their fragment.
#[cfg(test)]
mod pooled_resolver_tests {
    use super::*;

    fn fragment(xml: &str, inherited: &[(&str, &str)]) -> XmlFragment {
        XmlFragment {
            xml: Bytes::copy_from_slice(xml.as_bytes()),
            inherited_namespaces: inherited
                .iter()
                .map(|(p, u)| ((*p).to_owned(), (*u).to_owned()))
                .collect(),
            typed: Vec::new(),
        }
    }

    /// Reads to the first start tag and returns its namespace.
    fn first_namespace(fragment: &XmlFragment) -> Result<String, XmlError> {
        let mut reader = FragmentReader::new(fragment, &ReaderQuotas::default())?;
        loop {
            match reader.next()? {
                Node::Start(element) => return Ok(reader.namespace_of(&element)?.to_owned()),
                Node::Eof => panic!("no element"),
                _ => {}
            }
        }
    }

    #[test]
    fn nothing_leaks_from_one_reader_to_the_next() {
        // Declarations on an element, inherited ones, and a reader dropped while deep inside.
        let declared = fragment(r#"<p:a xmlns:p="urn:declared"><p:b/></p:a>"#, &[]);
        assert_eq!(first_namespace(&declared).unwrap(), "urn:declared");
        let inherited = fragment("<q:a/>", &[("q", "urn:inherited"), ("", "urn:default")]);
        assert_eq!(first_namespace(&inherited).unwrap(), "urn:inherited");
        let nested = fragment(
            r#"<x:a xmlns:x="urn:x"><y:b xmlns:y="urn:y"><y:c/></y:b></x:a>"#,
            &[],
        );
        {
            let mut reader = FragmentReader::new(&nested, &ReaderQuotas::default()).unwrap();
            for _ in 0..2 {
                reader.next().unwrap();
            }
        }
        for prefix in ["p", "q", "x", "y"] {
            let xml = format!("<{prefix}:a/>");
            let err = first_namespace(&fragment(&xml, &[])).unwrap_err();
            assert!(
                err.to_string().contains(prefix),
                "{prefix}: a binding leaked ({err})"
            );
        }
        // No default namespace either: an unprefixed element is in none.
        assert_eq!(first_namespace(&fragment("<a/>", &[])).unwrap(), "");
        // Readers nested on one thread each get a resolver of their own.
        let outer_fragment = fragment(r#"<o:a xmlns:o="urn:outer"><o:b/></o:a>"#, &[]);
        let mut outer = FragmentReader::new(&outer_fragment, &ReaderQuotas::default()).unwrap();
        let Node::Start(a) = outer.next().unwrap() else {
            panic!("start")
        };
        assert_eq!(first_namespace(&inherited).unwrap(), "urn:inherited");
        assert_eq!(outer.namespace_of(&a).unwrap(), "urn:outer");
    }
}
