// Reads a chosen CSV or JSON file into the import form's text box (the server takes the text).
// Without this script the file field stays hidden and the coach pastes the file's content.
(function () {
  var input = document.getElementById('import-file'), text = document.getElementById('import-text');
  if (!input || !text || !window.FileReader) return;
  [].forEach.call(document.querySelectorAll('#import-form .js-only'), function (el) { el.hidden = false; });
  input.addEventListener('change', function () {
    var file = input.files && input.files[0];
    if (!file) return;
    var reader = new window.FileReader();
    reader.onload = function () { text.value = String(reader.result); };
    reader.readAsText(file, 'utf-8');
  });
})();
