// XmlDoc: libxml2 document loading with safe options, and small tree helpers (see xml_doc.h).
#include "io/xml_doc.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/error.h"

namespace cgdmer {

namespace {

// NONET: never fetch anything; no DTDLOAD/NOENT: the external DTD is not read and entities
// are not substituted into the tree (no entity-expansion blowup). NOERROR/NOWARNING: libxml2
// prints nothing; the last error becomes the FormatError's message instead.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// libxml2 reports some problems (e.g. bad bytes for the declared encoding) through its
// generic error channel, which prints to stderr regardless of NOERROR; keep it quiet, the
// parse result (and xmlGetLastError) carries the failure.
void silent(void*, const char*, ...) {}

}  // namespace

void XmlDoc::Free::operator()(xmlDoc* d) const { xmlFreeDoc(d); }

std::string read_file_bytes(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw IoError(path, "file not found");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "cannot open file");
  in.seekg(0, std::ios::end);
  const auto size = std::streamoff(in.tellg());
  if (size < 0) throw IoError(path, "cannot determine file size");
  if (std::uint64_t(size) > max_bytes)
    throw FormatError(path, "file is " + std::to_string(size) + " bytes, more than the " +
                                std::to_string(max_bytes) + " this reader accepts");
  in.seekg(0);
  std::string buf(std::size_t(size), '\0');
  if (size > 0 && !in.read(buf.data(), std::streamsize(size))) throw IoError(path, "read error");
  return buf;
}

XmlDoc XmlDoc::parse(const std::string& bytes, const std::string& path) {
  if (bytes.size() > std::size_t(INT32_MAX)) throw FormatError(path, "XML document larger than 2 GB");
  // libxml2 wants xmlInitParser() once before threads parse concurrently (prepare's workers).
  static std::once_flag init;
  std::call_once(init, [] { xmlInitParser(); });
  xmlSetGenericErrorFunc(nullptr, silent);  // per thread in libxml2: set on every parse
  xmlResetLastError();
  xmlDoc* d = xmlReadMemory(bytes.data(), int(bytes.size()), nullptr, nullptr, kParseOptions);
  if (!d) {
    const xmlError* e = xmlGetLastError();
    std::string msg = "not well-formed XML";
    if (e && e->message) {
      std::string m = trim(e->message);
      msg += " (line " + std::to_string(e->line) + ": " + m + ")";
    }
    throw FormatError(path, msg);
  }
  XmlDoc doc;
  doc.doc_.reset(d);
  doc.path_ = path;
  if (!xmlDocGetRootElement(d)) throw FormatError(path, "XML document has no root element");
  return doc;
}

XmlDoc XmlDoc::read_file(const std::string& path) { return parse(read_file_bytes(path), path); }

xmlNode* XmlDoc::root() const { return xmlDocGetRootElement(doc_.get()); }

std::string xml_name(const xmlNode* n) {
  return n && n->name ? std::string(reinterpret_cast<const char*>(n->name)) : std::string();
}

xmlNode* xml_child(const xmlNode* n, const char* name) {
  if (!n) return nullptr;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && c->name && std::strcmp(reinterpret_cast<const char*>(c->name), name) == 0)
      return c;
  return nullptr;
}

std::vector<xmlNode*> xml_children(const xmlNode* n, const char* name) {
  std::vector<xmlNode*> out;
  if (!n) return out;
  for (xmlNode* c = n->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && c->name && std::strcmp(reinterpret_cast<const char*>(c->name), name) == 0)
      out.push_back(c);
  return out;
}

std::string xml_text(const xmlNode* n) {
  if (!n) return {};
  xmlChar* s = xmlNodeGetContent(n);
  if (!s) return {};
  std::string out(reinterpret_cast<const char*>(s));
  xmlFree(s);
  return out;
}

std::string xml_child_text(const xmlNode* n, const char* name) { return trim(xml_text(xml_child(n, name))); }

std::string xml_attr(const xmlNode* n, const char* name, const std::string& fallback) {
  if (!n) return fallback;
  xmlChar* s = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (!s) return fallback;
  std::string out(reinterpret_cast<const char*>(s));
  xmlFree(s);
  return out;
}

std::string xml_root_name(const std::string& path) { return xml_name(XmlDoc::read_file(path).root()); }

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end && *end == '\0' && std::isfinite(out);
}

}  // namespace cgdmer
