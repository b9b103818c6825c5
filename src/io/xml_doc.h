// XmlDoc: an XML file parsed by libxml2 (the one XML parser of the project; no XML is parsed
// by hand), plus the few tree helpers the clinical XML readers need (MUSE, HL7 aECG). The
// parser never touches the network and never loads a DTD (MUSE files name "restecg.dtd",
// which is not shipped); a document that is not well-formed is a FormatError naming the file
// and libxml2's message with its line. Element names are compared by local name, so HL7's
// default namespace "urn:hl7-org:v3" needs no prefix.
#pragma once

#include <memory>
#include <string>
#include <vector>

typedef struct _xmlDoc xmlDoc;
typedef struct _xmlNode xmlNode;

namespace cgdmer {

class XmlDoc {
 public:
  // Reads and parses the file (IoError if unreadable, FormatError if not well-formed XML).
  static XmlDoc read_file(const std::string& path);
  // Parses bytes already in memory; path_for_errors names them in messages.
  static XmlDoc parse(const std::string& bytes, const std::string& path_for_errors);

  xmlNode* root() const;             // never null for a parsed document
  const std::string& path() const { return path_; }

 private:
  struct Free {
    void operator()(xmlDoc* d) const;
  };
  std::unique_ptr<xmlDoc, Free> doc_;
  std::string path_;
};

// Local name of an element ("" for null).
std::string xml_name(const xmlNode* n);
// First element child named `name`, or nullptr.
xmlNode* xml_child(const xmlNode* n, const char* name);
// All element children named `name`, in document order.
std::vector<xmlNode*> xml_children(const xmlNode* n, const char* name);
// Text content of the element (all descendant text, entities as written), "" for null.
std::string xml_text(const xmlNode* n);
// Text of the first child `name`, trimmed of surrounding white space ("" when absent).
std::string xml_child_text(const xmlNode* n, const char* name);
// Strict decimal number of an element's text or attribute: false for "", trailing junk or a
// non-finite value (the XML readers turn that into a FormatError naming the field).
bool parse_number(const std::string& s, double& out);
// Attribute value, or `fallback` when the element or attribute is absent.
std::string xml_attr(const xmlNode* n, const char* name, const std::string& fallback = {});

// Local name of the root element of an XML file (used by read_any_record to dispatch .xml).
std::string xml_root_name(const std::string& path);

// Reads a whole file into memory; IoError when it cannot. Files above max_bytes are refused
// (FormatError) so a bogus path or a huge file cannot exhaust memory.
std::string read_file_bytes(const std::string& path, std::size_t max_bytes = std::size_t(1) << 30);

}  // namespace cgdmer
