//! Safe wrappers over libxml2's RelaxNG validator and libxslt, for schema handling only.
//!
//! libxml2 and libxslt keep process-wide state (libxslt's error callback, libxml2's
//! per-thread structured error handler, the shared RelaxNG validation contexts), so every
//! call goes through one [`Engine`] behind a global mutex. Documents are handed to the
//! libraries by building a libxml2 tree straight from our [`Element`] (no text round trip,
//! so Pacemaker's lossy attribute escaping cannot change what gets validated).
//! Diagnostics are collected into strings instead of being printed to stderr.

use super::libxml_ffi as ffi;
use crate::xml::{self, Element, XmlNode};
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// At most this many diagnostics are kept per operation; a broken document can make
/// libxml2 report one error per element.
const MAX_MESSAGES: usize = 200;
/// Longest diagnostic kept, in bytes.
const MAX_MESSAGE_LEN: usize = 1024;

/// Runs `f` with exclusive access to libxml2/libxslt.
pub(crate) fn with_engine<R>(f: impl FnOnce(&mut Engine) -> R) -> R {
    static ENGINE: OnceLock<Mutex<Engine>> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        // SAFETY: xmlInitParser is idempotent and must run before threaded use.
        unsafe { ffi::xmlInitParser() };
        Mutex::new(Engine { relaxng: HashMap::new() })
    });
    // A panic aborts this process (panic = "abort"), so a poisoned lock cannot be observed
    // in practice; recover the guard rather than panic if it ever is.
    let mut guard: MutexGuard<'_, Engine> = engine.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut guard)
}

/// Why a document was not accepted by a RelaxNG schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RelaxNgFailure {
    /// The document does not match the schema.
    Invalid(Vec<String>),
    /// The schema file could not be loaded or compiled.
    SchemaUnusable(Vec<String>),
    /// The document could not be given to libxml2 (NUL bytes, too deep).
    Unrepresentable(String),
}

/// Why an XSL transformation produced no document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TransformFailure {
    pub reason: String,
    pub messages: Vec<String>,
}

/// Result of a successful XSL transformation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transformed {
    pub document: Element,
    /// What the stylesheet said through `xsl:message` (and any libxslt warnings).
    pub messages: Vec<String>,
}

pub(crate) struct Engine {
    /// Compiled RelaxNG schemas by file, including failures so a broken file is not
    /// re-parsed on every validation (Pacemaker caches its contexts the same way).
    relaxng: HashMap<PathBuf, Result<CompiledRelaxNg, Vec<String>>>,
}

impl Engine {
    /// Validates `document` against the RelaxNG schema in `rng_file`.
    pub fn validate(&mut self, rng_file: &Path, document: &Element) -> Result<(), RelaxNgFailure> {
        let doc = LibxmlDoc::from_element(document).map_err(RelaxNgFailure::Unrepresentable)?;
        let compiled = self
            .relaxng
            .entry(rng_file.to_path_buf())
            .or_insert_with(|| CompiledRelaxNg::load(rng_file));
        match compiled {
            Ok(schema) => schema.validate(&doc).map_err(RelaxNgFailure::Invalid),
            Err(messages) => Err(RelaxNgFailure::SchemaUnusable(messages.clone())),
        }
    }

    /// Applies the XSL stylesheet in `xsl_file` to `document`.
    pub fn transform(&mut self, xsl_file: &Path, document: &Element) -> Result<Transformed, TransformFailure> {
        let fail = |reason: String, messages: Vec<String>| TransformFailure { reason, messages };
        let doc = LibxmlDoc::from_element(document).map_err(|e| fail(e, Vec::new()))?;
        let path = path_to_cstring(xsl_file).map_err(|e| fail(e, Vec::new()))?;
        let mut collector = Collector::default();
        let text = {
            let mut sink = collector.sink();
            let _handlers = ErrorHandlers::install(&mut sink);
            run_stylesheet(&path, &doc, &mut sink)
        };
        let messages = collector.finish();
        let text = text.map_err(|reason| fail(format!("{}: {reason}", xsl_file.display()), messages.clone()))?;
        match xml::parse(&text) {
            Ok(document) => Ok(Transformed { document, messages }),
            Err(e) => Err(fail(format!("{} produced unparsable output: {e}", xsl_file.display()), messages)),
        }
    }
}

/// Parses, applies and serializes one stylesheet; diagnostics go to `sink`.
fn run_stylesheet(path: &CStr, doc: &LibxmlDoc, sink: &mut SinkRef<'_>) -> Result<String, String> {
    let sink_ptr = (&mut sink.raw as *mut ffi::MessageSink).cast::<c_void>();
    // SAFETY: `path` is a valid C string; the stylesheet is freed by the guard below.
    let style = unsafe { ffi::xsltParseStylesheetFile(path.as_ptr()) };
    if style.is_null() {
        return Err("could not load the stylesheet".into());
    }
    let style = Owned { ptr: style, free: ffi::xsltFreeStylesheet };
    // Declared before the context so it is dropped after it.
    let security = restrictive_security_prefs()?;
    // SAFETY: both pointers are live; the context is freed by its guard before the doc.
    let ctxt = unsafe { ffi::xsltNewTransformContext(style.ptr, doc.ptr) };
    if ctxt.is_null() {
        return Err("could not create a transformation context".into());
    }
    let ctxt = Owned { ptr: ctxt, free: ffi::xsltFreeTransformContext };
    // SAFETY: live context and prefs; the sink outlives the transformation.
    unsafe {
        ffi::xsltSetTransformErrorFunc(ctxt.ptr, sink_ptr, Some(ffi::pcmkrs_format_message));
        if ffi::xsltSetCtxtSecurityPrefs(security.ptr, ctxt.ptr) != 0 {
            return Err("could not apply security preferences".into());
        }
    }
    // SAFETY: all pointers are live; NULL params/output/profile are allowed.
    let result = unsafe {
        ffi::xsltApplyStylesheetUser(style.ptr, doc.ptr, std::ptr::null(), std::ptr::null(), std::ptr::null_mut(), ctxt.ptr)
    };
    if result.is_null() {
        return Err("the transformation failed".into());
    }
    let result = Owned { ptr: result, free: ffi::xmlFreeDoc };
    // Release the context before the result document, as xsltproc does.
    drop(ctxt);
    let mut text: *mut c_char = std::ptr::null_mut();
    let mut len: c_int = 0;
    // SAFETY: out-pointers are valid; the buffer is released with libxml2's free below.
    let rc = unsafe { ffi::xsltSaveResultToString(&mut text, &mut len, result.ptr, style.ptr) };
    if rc != 0 {
        return Err("could not serialize the transformation result".into());
    }
    if text.is_null() {
        return Err("the transformation produced no output".into());
    }
    let len = usize::try_from(len).unwrap_or(0);
    // SAFETY: libxslt wrote `len` bytes at `text`.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) }.to_vec();
    libxml_free(text.cast());
    String::from_utf8(bytes).map_err(|_| "the transformation output is not UTF-8".to_string())
}

/// Stylesheets may read files (they read themselves through `document('')`) but may not
/// write files, create directories or touch the network.
fn restrictive_security_prefs() -> Result<Owned<ffi::xsltSecurityPrefs>, String> {
    // SAFETY: plain constructor; freed by the guard.
    let prefs = unsafe { ffi::xsltNewSecurityPrefs() };
    if prefs.is_null() {
        return Err("could not allocate security preferences".into());
    }
    let prefs = Owned { ptr: prefs, free: ffi::xsltFreeSecurityPrefs };
    for option in [
        ffi::XSLT_SECPREF_WRITE_FILE,
        ffi::XSLT_SECPREF_CREATE_DIRECTORY,
        ffi::XSLT_SECPREF_READ_NETWORK,
        ffi::XSLT_SECPREF_WRITE_NETWORK,
    ] {
        // SAFETY: live prefs; xsltSecurityForbid has the xsltSecurityCheck signature.
        if unsafe { ffi::xsltSetSecurityPrefs(prefs.ptr, option, Some(ffi::xsltSecurityForbid)) } != 0 {
            return Err("could not set security preferences".into());
        }
    }
    Ok(prefs)
}

/// A libxml2/libxslt object freed with its matching function when dropped.
struct Owned<T> {
    ptr: *mut T,
    free: unsafe extern "C" fn(*mut T),
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` came from the allocator matching `free` and is freed once.
            unsafe { (self.free)(self.ptr) };
        }
    }
}

/// Frees memory that libxml2 allocated (it may use a custom allocator).
fn libxml_free(ptr: *mut c_void) {
    if ptr.is_null() {
        return;
    }
    let mut free: Option<ffi::xmlFreeFunc> = None;
    // SAFETY: out-pointers are valid; the others may be written too.
    let rc = unsafe {
        let mut ignored = [std::ptr::null_mut::<c_void>(); 3];
        ffi::xmlMemGet(&mut free, &mut ignored[0], &mut ignored[1], &mut ignored[2])
    };
    if let (0, Some(free)) = (rc, free) {
        // SAFETY: `ptr` was allocated by libxml2's allocator.
        unsafe { free(ptr) };
    }
}

/// A compiled RelaxNG schema with its (reused) validation context.
struct CompiledRelaxNg {
    schema: *mut ffi::xmlRelaxNG,
    valid: *mut ffi::xmlRelaxNGValidCtxt,
}

// SAFETY: only ever used while holding the engine mutex.
unsafe impl Send for CompiledRelaxNg {}

impl CompiledRelaxNg {
    fn load(file: &Path) -> Result<Self, Vec<String>> {
        let path = path_to_cstring(file).map_err(|e| vec![e])?;
        let mut collector = Collector::default();
        let loaded = {
            let mut sink = collector.sink();
            let _handlers = ErrorHandlers::install(&mut sink);
            // SAFETY: valid C string; the context is freed by its guard.
            let parser = unsafe { ffi::xmlRelaxNGNewParserCtxt(path.as_ptr()) };
            if parser.is_null() {
                None
            } else {
                let parser = Owned { ptr: parser, free: ffi::xmlRelaxNGFreeParserCtxt };
                // SAFETY: live context; the collector outlives the parse.
                unsafe {
                    ffi::xmlRelaxNGSetParserStructuredErrors(parser.ptr, Some(collect_structured), sink.collector_ptr());
                    Some(ffi::xmlRelaxNGParse(parser.ptr))
                }
            }
        };
        let mut messages = collector.finish();
        let schema = match loaded {
            Some(schema) if !schema.is_null() => schema,
            _ => {
                messages.insert(0, format!("could not load RelaxNG schema {}", file.display()));
                return Err(messages);
            }
        };
        // SAFETY: `schema` is a live compiled schema.
        let valid = unsafe { ffi::xmlRelaxNGNewValidCtxt(schema) };
        if valid.is_null() {
            // SAFETY: not shared with anyone yet.
            unsafe { ffi::xmlRelaxNGFree(schema) };
            return Err(vec![format!("could not create a validation context for {}", file.display())]);
        }
        Ok(CompiledRelaxNg { schema, valid })
    }

    fn validate(&mut self, doc: &LibxmlDoc) -> Result<(), Vec<String>> {
        let mut collector = Collector::default();
        let rc = {
            let mut sink = collector.sink();
            let _handlers = ErrorHandlers::install(&mut sink);
            // SAFETY: live context and document; the handler is reset before the collector
            // goes away.
            unsafe {
                ffi::xmlRelaxNGSetValidStructuredErrors(self.valid, Some(collect_structured), sink.collector_ptr());
                let rc = ffi::xmlRelaxNGValidateDoc(self.valid, doc.ptr);
                ffi::xmlRelaxNGSetValidStructuredErrors(self.valid, None, std::ptr::null_mut());
                rc
            }
        };
        let mut messages = collector.finish();
        match rc {
            0 => Ok(()),
            rc => {
                if messages.is_empty() {
                    messages.push(if rc < 0 {
                        "internal libxml2 error during validation".to_string()
                    } else {
                        "document does not match the schema".to_string()
                    });
                }
                Err(messages)
            }
        }
    }
}

impl Drop for CompiledRelaxNg {
    fn drop(&mut self) {
        // SAFETY: both were created in `load` and are freed once, context first.
        unsafe {
            ffi::xmlRelaxNGFreeValidCtxt(self.valid);
            ffi::xmlRelaxNGFree(self.schema);
        }
    }
}

/// A libxml2 document built from an [`Element`] tree.
struct LibxmlDoc {
    ptr: *mut ffi::xmlDoc,
}

impl Drop for LibxmlDoc {
    fn drop(&mut self) {
        // SAFETY: created by xmlNewDoc, freed once; frees the whole tree.
        unsafe { ffi::xmlFreeDoc(self.ptr) };
    }
}

impl LibxmlDoc {
    fn from_element(root: &Element) -> Result<LibxmlDoc, String> {
        let version = c"1.0";
        // SAFETY: valid C string.
        let ptr = unsafe { ffi::xmlNewDoc(version.as_ptr()) };
        if ptr.is_null() {
            return Err("libxml2 could not allocate a document".into());
        }
        let doc = LibxmlDoc { ptr };
        let root_node = doc.new_element(root, 1)?;
        // SAFETY: both live; the document takes ownership of the node.
        unsafe { ffi::xmlDocSetRootElement(doc.ptr, root_node) };
        Ok(doc)
    }

    /// Creates the libxml2 node for `element` and its subtree (owned by the caller until
    /// attached).
    fn new_element(&self, element: &Element, depth: usize) -> Result<*mut ffi::xmlNode, String> {
        if depth > xml::MAX_DEPTH {
            return Err(format!("document nests elements deeper than {}", xml::MAX_DEPTH));
        }
        let name = to_cstring(&element.name, "element name")?;
        // SAFETY: live document, valid C string; no namespace, no content.
        let node = unsafe { ffi::xmlNewDocNode(self.ptr, std::ptr::null_mut(), name.as_ptr(), std::ptr::null()) };
        if node.is_null() {
            return Err(format!("libxml2 could not create element {}", element.name));
        }
        let filled = self.fill_element(node, element, depth);
        if filled.is_err() {
            // SAFETY: the node is not attached anywhere yet; this frees its subtree.
            unsafe { ffi::xmlFreeNode(node) };
        }
        filled.map(|()| node)
    }

    fn fill_element(&self, node: *mut ffi::xmlNode, element: &Element, depth: usize) -> Result<(), String> {
        for (name, value) in &element.attrs {
            let name = to_cstring(name, "attribute name")?;
            let value = to_cstring(value, "attribute value")?;
            // SAFETY: live node; xmlNewProp copies the strings and stores the value as
            // literal text (no entity parsing).
            if unsafe { ffi::xmlNewProp(node, name.as_ptr(), value.as_ptr()) }.is_null() {
                return Err("libxml2 could not create an attribute".into());
            }
        }
        for child in &element.children {
            let child_node = match child {
                XmlNode::Element(e) => self.new_element(e, depth + 1)?,
                XmlNode::Comment(text) => {
                    let text = to_cstring(text, "comment")?;
                    // SAFETY: live document, valid C string.
                    let comment = unsafe { ffi::xmlNewDocComment(self.ptr, text.as_ptr()) };
                    if comment.is_null() {
                        return Err("libxml2 could not create a comment".into());
                    }
                    comment
                }
            };
            // SAFETY: both live; `node` takes ownership of the child (not text, so the
            // child is never merged and freed).
            unsafe { ffi::xmlAddChild(node, child_node) };
        }
        Ok(())
    }
}

fn to_cstring(s: &str, what: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{what} contains a NUL byte"))
}

fn path_to_cstring(path: &Path) -> Result<CString, String> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("path {} contains a NUL byte", path.display()))
}

/// Accumulates diagnostics from libxml2/libxslt callbacks, within bounds.
#[derive(Default)]
struct Collector {
    messages: Vec<String>,
    /// Text from printf-style callbacks, which may deliver one line in several pieces.
    partial: String,
    dropped: usize,
}

impl Collector {
    fn sink(&mut self) -> SinkRef<'_> {
        let target = (self as *mut Collector).cast::<c_void>();
        SinkRef { raw: ffi::MessageSink { deliver: Some(deliver_formatted), target }, _collector: std::marker::PhantomData }
    }

    fn push(&mut self, message: &str) {
        let message = message.trim_end();
        if message.is_empty() {
            return;
        }
        if self.messages.len() >= MAX_MESSAGES {
            self.dropped += 1;
            return;
        }
        self.messages.push(truncate(message, MAX_MESSAGE_LEN).to_string());
    }

    fn push_fragment(&mut self, fragment: &str) {
        if self.partial.len() + fragment.len() <= MAX_MESSAGE_LEN * 4 {
            self.partial.push_str(fragment);
        }
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            self.push(&line);
        }
    }

    fn finish(mut self) -> Vec<String> {
        let rest = std::mem::take(&mut self.partial);
        self.push(&rest);
        if self.dropped > 0 {
            self.messages.push(format!("... and {} more messages", self.dropped));
        }
        self.messages
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The C-side view of a [`Collector`], borrowed for the duration of one library call.
struct SinkRef<'a> {
    raw: ffi::MessageSink,
    _collector: std::marker::PhantomData<&'a mut Collector>,
}

impl SinkRef<'_> {
    /// The pointer structured-error callbacks receive (the collector itself).
    fn collector_ptr(&mut self) -> *mut c_void {
        self.raw.target
    }
}

/// Installs our collectors as libxml2's (per-thread) structured error handler and
/// libxslt's (global) generic error handler; restores the defaults when dropped. Only
/// used while holding the engine lock.
struct ErrorHandlers;

impl ErrorHandlers {
    /// `sink` must stay in place (not be moved) while the returned guard lives.
    fn install(sink: &mut SinkRef<'_>) -> ErrorHandlers {
        let shim_target = (&mut sink.raw as *mut ffi::MessageSink).cast::<c_void>();
        // SAFETY: the sink and its collector outlive this guard, which uninstalls them.
        unsafe {
            ffi::xmlSetStructuredErrorFunc(sink.collector_ptr(), Some(collect_structured));
            ffi::xsltSetGenericErrorFunc(shim_target, Some(ffi::pcmkrs_format_message));
        }
        ErrorHandlers
    }
}

impl Drop for ErrorHandlers {
    fn drop(&mut self) {
        // SAFETY: resetting to NULL restores the libraries' default handlers.
        unsafe {
            ffi::xmlSetStructuredErrorFunc(std::ptr::null_mut(), None);
            ffi::xsltSetGenericErrorFunc(std::ptr::null_mut(), None);
        }
    }
}

/// Structured error callback: `user_data` is a `*mut Collector`.
unsafe extern "C" fn collect_structured(user_data: *mut c_void, error: *mut ffi::xmlError) {
    if user_data.is_null() || error.is_null() {
        return;
    }
    // SAFETY: installed only with a live collector; libxml2 passes a valid error.
    let (collector, error) = unsafe { (&mut *user_data.cast::<Collector>(), &*error) };
    let message = c_text(error.message).unwrap_or_else(|| "unknown libxml2 error".into());
    let severity = if error.level == ffi::XML_ERR_WARNING { "warning: " } else { "" };
    let location = if !error.node.is_null() {
        // SAFETY: libxml2 reports the node it was looking at; the path is freed below.
        let path = unsafe { ffi::xmlGetNodePath(error.node.cast()) };
        let text = c_text(path);
        libxml_free(path.cast());
        text
    } else {
        c_text(error.file).map(|file| format!("{file}:{}", error.line))
    };
    let line = match location {
        Some(location) => format!("{location}: {severity}{}", message.trim_end()),
        None => format!("{severity}{}", message.trim_end()),
    };
    collector.push(&line);
}

/// Callback of the C shim: `target` is a `*mut Collector`, `message` one formatted piece.
unsafe extern "C" fn deliver_formatted(target: *mut c_void, message: *const c_char) {
    if target.is_null() {
        return;
    }
    // SAFETY: installed only with a live collector.
    let collector = unsafe { &mut *target.cast::<Collector>() };
    if let Some(text) = c_text(message) {
        collector.push_fragment(&text);
    }
}

fn c_text(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: libxml2 strings are NUL-terminated.
    Some(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}
