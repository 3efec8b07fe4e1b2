
		$tmp_file_path = [System.IO.Path]::GetFullPath("TMPFILE")
		if (Test-Path $tmp_file_path) {
			Remove-Item $tmp_file_path -ErrorAction SilentlyContinue
		}
	