//! Raw declarations of the few libxml2 (2.9) and libxslt (1.1) functions schema handling
//! needs, plus the C shim compiled by build.rs. Everything here is `unsafe`; the safe
//! wrappers live in `libxml.rs`.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};

/// Opaque libxml2/libxslt objects, only ever handled through pointers.
macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        pub struct $name {
            _opaque: [u8; 0],
        }
    )*};
}

opaque!(
    xmlDoc,
    xmlNode,
    xmlAttr,
    xmlNs,
    xmlRelaxNG,
    xmlRelaxNGParserCtxt,
    xmlRelaxNGValidCtxt,
    xsltStylesheet,
    xsltTransformContext,
    xsltSecurityPrefs
);

/// `struct _xmlError` (layout unchanged since libxml2 2.6).
#[repr(C)]
pub struct xmlError {
    pub domain: c_int,
    pub code: c_int,
    pub message: *mut c_char,
    pub level: c_int,
    pub file: *mut c_char,
    pub line: c_int,
    pub str1: *mut c_char,
    pub str2: *mut c_char,
    pub str3: *mut c_char,
    pub int1: c_int,
    pub int2: c_int,
    pub ctxt: *mut c_void,
    pub node: *mut c_void,
}

/// `xmlErrorLevel` values.
pub const XML_ERR_WARNING: c_int = 1;

pub type xmlStructuredErrorFunc = unsafe extern "C" fn(user_data: *mut c_void, error: *mut xmlError);
pub type xmlGenericErrorFunc = unsafe extern "C" fn(ctx: *mut c_void, msg: *const c_char, ...);
pub type xmlFreeFunc = unsafe extern "C" fn(mem: *mut c_void);
pub type xsltSecurityCheck = unsafe extern "C" fn(
    sec: *mut xsltSecurityPrefs,
    ctxt: *mut xsltTransformContext,
    value: *const c_char,
) -> c_int;

/// `xsltSecurityOption` values.
pub const XSLT_SECPREF_WRITE_FILE: c_int = 2;
pub const XSLT_SECPREF_CREATE_DIRECTORY: c_int = 3;
pub const XSLT_SECPREF_READ_NETWORK: c_int = 4;
pub const XSLT_SECPREF_WRITE_NETWORK: c_int = 5;

// Linked by build.rs (`-lxml2`).
extern "C" {
    pub fn xmlInitParser();
    pub fn xmlMemGet(
        free_func: *mut Option<xmlFreeFunc>,
        malloc_func: *mut *mut c_void,
        realloc_func: *mut *mut c_void,
        strdup_func: *mut *mut c_void,
    ) -> c_int;
    pub fn xmlSetStructuredErrorFunc(ctx: *mut c_void, handler: Option<xmlStructuredErrorFunc>);

    pub fn xmlNewDoc(version: *const c_char) -> *mut xmlDoc;
    pub fn xmlFreeDoc(doc: *mut xmlDoc);
    pub fn xmlNewDocNode(
        doc: *mut xmlDoc,
        ns: *mut xmlNs,
        name: *const c_char,
        content: *const c_char,
    ) -> *mut xmlNode;
    pub fn xmlNewDocComment(doc: *mut xmlDoc, content: *const c_char) -> *mut xmlNode;
    pub fn xmlDocSetRootElement(doc: *mut xmlDoc, root: *mut xmlNode) -> *mut xmlNode;
    pub fn xmlAddChild(parent: *mut xmlNode, child: *mut xmlNode) -> *mut xmlNode;
    pub fn xmlFreeNode(node: *mut xmlNode);
    pub fn xmlNewProp(node: *mut xmlNode, name: *const c_char, value: *const c_char) -> *mut xmlAttr;
    pub fn xmlGetNodePath(node: *const xmlNode) -> *mut c_char;

    pub fn xmlRelaxNGNewParserCtxt(url: *const c_char) -> *mut xmlRelaxNGParserCtxt;
    pub fn xmlRelaxNGSetParserStructuredErrors(
        ctxt: *mut xmlRelaxNGParserCtxt,
        handler: Option<xmlStructuredErrorFunc>,
        ctx: *mut c_void,
    );
    pub fn xmlRelaxNGParse(ctxt: *mut xmlRelaxNGParserCtxt) -> *mut xmlRelaxNG;
    pub fn xmlRelaxNGFreeParserCtxt(ctxt: *mut xmlRelaxNGParserCtxt);
    pub fn xmlRelaxNGFree(schema: *mut xmlRelaxNG);
    pub fn xmlRelaxNGNewValidCtxt(schema: *mut xmlRelaxNG) -> *mut xmlRelaxNGValidCtxt;
    pub fn xmlRelaxNGSetValidStructuredErrors(
        ctxt: *mut xmlRelaxNGValidCtxt,
        handler: Option<xmlStructuredErrorFunc>,
        ctx: *mut c_void,
    );
    pub fn xmlRelaxNGValidateDoc(ctxt: *mut xmlRelaxNGValidCtxt, doc: *mut xmlDoc) -> c_int;
    pub fn xmlRelaxNGFreeValidCtxt(ctxt: *mut xmlRelaxNGValidCtxt);
}

// Linked by build.rs (`-lxslt`).
extern "C" {
    pub fn xsltParseStylesheetFile(filename: *const c_char) -> *mut xsltStylesheet;
    pub fn xsltFreeStylesheet(style: *mut xsltStylesheet);
    pub fn xsltNewTransformContext(style: *mut xsltStylesheet, doc: *mut xmlDoc) -> *mut xsltTransformContext;
    pub fn xsltFreeTransformContext(ctxt: *mut xsltTransformContext);
    pub fn xsltApplyStylesheetUser(
        style: *mut xsltStylesheet,
        doc: *mut xmlDoc,
        params: *const *const c_char,
        output: *const c_char,
        profile: *mut libc::FILE,
        user_ctxt: *mut xsltTransformContext,
    ) -> *mut xmlDoc;
    pub fn xsltSaveResultToString(
        doc_txt: *mut *mut c_char,
        doc_txt_len: *mut c_int,
        result: *mut xmlDoc,
        style: *mut xsltStylesheet,
    ) -> c_int;
    pub fn xsltSetGenericErrorFunc(ctx: *mut c_void, handler: Option<xmlGenericErrorFunc>);
    pub fn xsltSetTransformErrorFunc(
        ctxt: *mut xsltTransformContext,
        ctx: *mut c_void,
        handler: Option<xmlGenericErrorFunc>,
    );
    pub fn xsltNewSecurityPrefs() -> *mut xsltSecurityPrefs;
    pub fn xsltFreeSecurityPrefs(sec: *mut xsltSecurityPrefs);
    pub fn xsltSetSecurityPrefs(sec: *mut xsltSecurityPrefs, option: c_int, func: Option<xsltSecurityCheck>) -> c_int;
    pub fn xsltSetCtxtSecurityPrefs(sec: *mut xsltSecurityPrefs, ctxt: *mut xsltTransformContext) -> c_int;
    pub fn xsltSecurityForbid(
        sec: *mut xsltSecurityPrefs,
        ctxt: *mut xsltTransformContext,
        value: *const c_char,
    ) -> c_int;
}

/// `struct pcmkrs_message_sink` of csrc/xml_error_shim.c.
#[repr(C)]
pub struct MessageSink {
    pub deliver: Option<unsafe extern "C" fn(target: *mut c_void, message: *const c_char)>,
    pub target: *mut c_void,
}

// Compiled and linked by build.rs; `ctx` must point to a `MessageSink`.
extern "C" {
    pub fn pcmkrs_format_message(ctx: *mut c_void, format: *const c_char, ...);
}
